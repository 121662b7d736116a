import type { Channel, JsonObject } from '@heed/protocol';
import type { CustomerStore, InsightStore } from './insights-types.js';
import type { RollupStore } from './rollups.js';

export type Dialect = 'sqlite' | 'postgres';
export type Role = 'admin' | 'analyst' | 'viewer';
export type ApiKeyKind = 'write' | 'secret';

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  kind: ApiKeyKind;
  name: string;
  keyPrefix: string;
  allowedOrigins: string[] | null;
  revokedAt: Date | null;
}

export interface Customer {
  id: string;
  organizationId: string;
  externalId: string;
  segment: string | null;
  traits: JsonObject;
  firstSeenAt: Date;
  lastSeenAt: Date;
  interactionCount: number;
  averageSentiment: number | null;
}

export interface SentimentScores {
  label: 'positive' | 'negative' | 'neutral';
  positive: number;
  negative: number;
  neutral: number;
}

export interface Interaction {
  id: string;
  organizationId: string;
  customerId: string;
  messageId: string;
  timestamp: Date;
  receivedAt: Date;
  channel: Channel;
  eventType: string;
  content: string | null;
  sentiment: SentimentScores | null;
  sentimentConfidence: number | null;
  metadata: JsonObject;
  processedAt: Date | null;
}

/** One validated, enriched event ready to be stored. */
export interface InteractionInput {
  id: string;
  messageId: string;
  externalId: string;
  timestamp: Date;
  receivedAt: Date;
  channel: Channel;
  eventType: string;
  content: string | null;
  metadata: JsonObject;
  /** Segment named by the event (identify traits or context.traits), if any. */
  segment: string | null;
  /** Traits to merge into the customer profile (identify calls). */
  traits: JsonObject | null;
}

export interface IngestOutcome {
  /** messageIds stored by this call. */
  inserted: string[];
  /** messageIds that were already stored (or repeated within the call): not stored twice. */
  duplicates: string[];
}

export interface BootstrapInput {
  organizationName: string;
  adminEmail: string;
  adminPasswordHash: string;
  writeKeyHash: string;
  writeKeyPrefix: string;
}

export interface BootstrapResult {
  organizationId: string;
  adminUserId: string;
  writeKeyId: string;
}

export interface NewApiKey {
  organizationId: string;
  kind: ApiKeyKind;
  name: string;
  keyHash: string;
  keyPrefix: string;
  allowedOrigins?: string[] | null;
  createdBy?: string | null;
}

export interface InteractionQuery {
  organizationId: string;
  customerId?: string;
  limit?: number;
}

export interface User {
  id: string;
  organizationId: string;
  email: string;
  name: string | null;
  role: Role;
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  /** Access tokens issued before this instant are refused (logout, password change, deactivation). */
  tokensValidAfter: Date | null;
}

export interface NewUser {
  organizationId: string;
  email: string;
  name?: string | null;
  passwordHash: string;
  role: Role;
}

/** Users of the dashboard and API. Lookups by id are scoped by organization. */
export interface UserStore {
  create(user: NewUser): Promise<User>;
  findById(organizationId: string, id: string): Promise<User | null>;
  /** For login: the user (any organization) with its password hash. Email match is case-insensitive. */
  findByEmail(email: string): Promise<(User & { passwordHash: string }) | null>;
  /** The organization's users, oldest first. */
  list(organizationId: string): Promise<User[]>;
  /** Changes role, name or active flag; null when the user is not in the organization. */
  update(organizationId: string, id: string, patch: UserPatch): Promise<User | null>;
  /** Sets a new password hash and revokes every token issued before now. */
  setPassword(organizationId: string, id: string, passwordHash: string): Promise<void>;
  /** Access tokens issued before now stop working (tokens_valid_after = now). */
  revokeAccessTokens(organizationId: string, id: string): Promise<void>;
  recordLogin(organizationId: string, id: string, at: Date): Promise<void>;
}

export interface UserPatch {
  role?: Role;
  name?: string | null;
  isActive?: boolean;
}

export interface NewRefreshToken {
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
  createdIp: string | null;
}

export type RotateResult =
  | { status: 'rotated'; userId: string; organizationId: string; familyId: string }
  /** The token was already rotated or revoked: its whole family has now been revoked. */
  | { status: 'reused'; userId: string; organizationId: string; familyId: string }
  | { status: 'invalid' };

/** Refresh tokens: stored as SHA-256 hashes, rotated on every use, revoked by family or by user. */
export interface RefreshTokenStore {
  create(token: NewRefreshToken): Promise<void>;
  /**
   * Atomically retires `oldHash` and stores `next` in its family. A token already retired or revoked is
   * a reuse: the family is revoked. Expired or unknown tokens are `invalid`.
   */
  rotate(oldHash: string, next: Omit<NewRefreshToken, 'userId' | 'familyId'>): Promise<RotateResult>;
  /** Revokes every live refresh token of the user; returns how many. */
  revokeForUser(userId: string): Promise<number>;
}

export interface ApiKeySummary extends ApiKeyRecord {
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** API keys of an organization (the secrets themselves are never stored, only their hashes). */
export interface ApiKeyStore {
  list(organizationId: string): Promise<ApiKeySummary[]>;
  get(organizationId: string, id: string): Promise<ApiKeySummary | null>;
  /** Marks the key revoked (idempotent); null when it is not the organization's. */
  revoke(organizationId: string, id: string): Promise<ApiKeySummary | null>;
}

export interface NewAuditEntry {
  organizationId: string;
  userId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  ip: string | null;
  details?: JsonObject;
}

export interface AuditEntry extends Required<NewAuditEntry> {
  id: string;
  createdAt: Date;
}

/** Append-only log of administrative actions (the database refuses updates and deletes). */
export interface AuditStore {
  append(entry: NewAuditEntry): Promise<void>;
  /** Newest first; `before` pages by created time. */
  list(organizationId: string, opts: { limit: number; before?: Date }): Promise<AuditEntry[]>;
}

/** A stored text waiting for sentiment analysis, claimed under a lease. */
export interface PendingText {
  id: string;
  organizationId: string;
  customerId: string;
  content: string;
  /** Claims so far, this one included. */
  attempts: number;
}

export interface AnalysisResult {
  id: string;
  sentiment: SentimentScores;
  confidence: number;
}

export interface AnalyzedInteraction {
  id: string;
  organizationId: string;
  customerId: string;
  sentiment: SentimentScores;
  confidence: number;
  /** positive - negative, in [-1, 1]. */
  score: number;
  processedAt: Date;
}

/** The durable analysis queue: rows with text and no sentiment yet are the jobs. */
export interface AnalysisStore {
  /** Claims up to `limit` pending rows for `leaseMs` (oldest first; SKIP LOCKED on PostgreSQL). */
  claim(limit: number, leaseMs: number): Promise<PendingText[]>;
  /**
   * Writes the scores of rows that are still pending and updates their customers' average sentiment,
   * in one transaction. Returns the rows written (a row analysed twice is written once).
   */
  complete(results: AnalysisResult[]): Promise<AnalyzedInteraction[]>;
  /** Releases claims after an error: rows that reached maxAttempts are marked failed with the reason. */
  fail(ids: string[], reason: string, maxAttempts: number): Promise<{ failed: string[]; retry: string[] }>;
  /** Gives claims back without counting the attempt (the pool was down, not the rows' fault). */
  release(ids: string[]): Promise<void>;
  /** Rows waiting for analysis (all organizations). */
  backlog(): Promise<number>;
}

export interface PatternInput {
  timestamp: Date;
  channel: string;
  eventType: string;
  sentiment: SentimentScores | null;
}

export interface StoredPattern {
  id: string;
  customerId: string;
  patternType: string;
  description: string;
  confidence: number;
  frequency: number;
  metadata: JsonObject;
  detectedAt: Date;
}

export type NewPattern = Omit<StoredPattern, 'id' | 'customerId' | 'detectedAt'>;

export type AnomalyScope = 'organization' | 'channel' | 'segment';

export interface SeriesBucket {
  /** Channel or segment name; null for the organization scope (or customers with no segment). */
  scopeValue: string | null;
  bucket: Date;
  count: number;
  /** Interactions with a sentiment score. */
  scored: number;
  sentimentSum: number;
  negative: number;
}

export interface NewAnomaly {
  /** Identifies the same finding across runs (metric, granularity, scope, bucket). */
  dedupeKey: string;
  metric: string;
  granularity: string;
  method: string;
  direction: 'spike' | 'drop';
  scopeType: AnomalyScope;
  scopeValue: string | null;
  bucketTime: Date;
  value: number;
  expected: number;
  score: number;
  severity: 'low' | 'medium' | 'high' | 'critical';
  description: string;
}

export interface StoredAnomaly extends NewAnomaly {
  id: string;
  organizationId: string;
  detectedAt: Date;
  notifiedAt: Date | null;
}

/** Behaviour patterns and anomalies: what analysis derives from the interactions. */
export interface SignalStore {
  patternInputs(organizationId: string, customerId: string, since: Date): Promise<PatternInput[]>;
  /** Replaces the customer's stored patterns with these, in one transaction. */
  replacePatterns(
    organizationId: string,
    customerId: string,
    patterns: NewPattern[],
  ): Promise<StoredPattern[]>;
  listPatterns(organizationId: string, customerId: string): Promise<StoredPattern[]>;
  organizationIds(): Promise<string[]>;
  series(
    organizationId: string,
    granularity: 'hour' | 'day',
    since: Date,
    scope: AnomalyScope,
  ): Promise<SeriesBucket[]>;
  /** Inserts anomalies not seen before (by dedupe key); returns only the new ones. */
  saveAnomalies(organizationId: string, anomalies: NewAnomaly[]): Promise<StoredAnomaly[]>;
  listAnomalies(organizationId: string, opts: { limit: number; since?: Date }): Promise<StoredAnomaly[]>;
  markNotified(organizationId: string, ids: string[]): Promise<void>;
}

/** A widget token: read-only access to chosen widgets of one organization, from allowed origins. */
export interface EmbedToken {
  id: string;
  organizationId: string;
  name: string;
  tokenPrefix: string;
  widgets: string[];
  /** Origins (scheme://host[:port]) allowed to embed the widgets. */
  allowedOrigins: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
}

export interface NewEmbedToken {
  organizationId: string;
  name: string;
  tokenHash: string;
  tokenPrefix: string;
  widgets: string[];
  allowedOrigins: string[];
  expiresAt: Date;
  createdBy: string | null;
}

/** An interaction as the live feed shows it. */
export interface LiveInteraction {
  id: string;
  customerId: string;
  externalId: string;
  segment: string | null;
  timestamp: Date;
  channel: string;
  eventType: string;
  content: string | null;
  sentimentScore: number | null;
  sentimentLabel: 'positive' | 'negative' | 'neutral' | null;
}

/** Embed tokens (stored as hashes) and the reads of the live stream. */
export interface LiveStore {
  createEmbedToken(token: NewEmbedToken): Promise<EmbedToken>;
  listEmbedTokens(organizationId: string): Promise<EmbedToken[]>;
  /** Marks the token revoked (idempotent); null when it is not the organization's. */
  revokeEmbedToken(organizationId: string, id: string): Promise<EmbedToken | null>;
  /** The token with this hash, whatever its state (any organization: the token is the credential). */
  findEmbedToken(tokenHash: string): Promise<EmbedToken | null>;
  /** Those of `ids` that are neither revoked nor expired. */
  validEmbedTokens(ids: string[]): Promise<string[]>;
  /** The organization's interactions with these ids (content cut to `maxContent` characters). */
  interactions(organizationId: string, ids: string[], maxContent: number): Promise<LiveInteraction[]>;
}

export type ImportJobStatus = 'running' | 'done' | 'failed';

export interface ImportJobProgress {
  phase: 'profiling' | 'importing' | 'done';
  total: number;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** A file import run in the background (POST /api/import). profile and summary are JSON documents. */
export interface ImportJob {
  id: string;
  organizationId: string;
  status: ImportJobStatus;
  format: string;
  progress: ImportJobProgress;
  profile: unknown | null;
  summary: unknown | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  /** Kept by the database on every write: the job's heartbeat while it runs. */
  updatedAt: Date;
}

export interface NewImportJob {
  id: string;
  organizationId: string;
  format: string;
  progress: ImportJobProgress;
}

/** Fields to change; the ones left out keep their value. */
export interface ImportJobPatch {
  status?: ImportJobStatus;
  progress?: ImportJobProgress;
  profile?: unknown | null;
  summary?: unknown | null;
  error?: string | null;
  finishedAt?: Date | null;
}

/** The message of a job whose process stopped while it ran. */
export const IMPORT_INTERRUPTED = 'interrupted: the collector restarted during the import';

/** Import jobs, durable and shared by every collector instance over the database. */
export interface ImportJobStore {
  /** Stores a new 'running' job. */
  create(job: NewImportJob): Promise<ImportJob>;
  /** Applies the patch; false when the job is not the organization's. */
  update(organizationId: string, id: string, patch: ImportJobPatch): Promise<boolean>;
  get(organizationId: string, id: string): Promise<ImportJob | null>;
  /**
   * Marks 'failed' (error IMPORT_INTERRUPTED, finished now) every 'running' job of any organization
   * whose row has not been written for `staleMs` (0: every running job), by the database's clock.
   * Returns how many.
   */
  failInterrupted(staleMs: number): Promise<number>;
  /** Deletes the organization's finished jobs beyond its newest `keep` (running ones stay); returns how many. */
  prune(organizationId: string, keep: number): Promise<number>;
}

/**
 * The one storage seam of the collector. Every method that reads or writes tenant data takes the
 * organization id and scopes its queries by it.
 */
export interface Storage {
  readonly dialect: Dialect;
  readonly users: UserStore;
  readonly insights: InsightStore;
  readonly customers: CustomerStore;
  readonly tokens: RefreshTokenStore;
  readonly keys: ApiKeyStore;
  readonly audit: AuditStore;
  readonly analysis: AnalysisStore;
  readonly signals: SignalStore;
  readonly live: LiveStore;
  readonly imports: ImportJobStore;
  /** The daily trend rollup and its refresher's work (see rollups.ts). */
  readonly rollups: RollupStore;
  /** Applies pending migrations; returns the versions applied now. */
  migrate(): Promise<string[]>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** On an empty database creates the demo organization, admin and write key; null when not empty. */
  bootstrap(input: BootstrapInput): Promise<BootstrapResult | null>;

  createOrganization(name: string, slug: string): Promise<string>;
  createApiKey(key: NewApiKey): Promise<string>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;

  /** Stores interactions exactly once per messageId, upserting customers; one transaction per 100 rows. */
  ingest(organizationId: string, rows: InteractionInput[]): Promise<IngestOutcome>;

  getCustomerByExternalId(organizationId: string, externalId: string): Promise<Customer | null>;
  getCustomerById(organizationId: string, id: string): Promise<Customer | null>;
  listInteractions(query: InteractionQuery): Promise<Interaction[]>;
  countInteractions(organizationId: string): Promise<number>;
}

export const INGEST_CHUNK_SIZE = 100;

export type * from './insights-types.js';
