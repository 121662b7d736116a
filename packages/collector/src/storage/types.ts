import type { Channel, JsonObject } from '@heed/protocol';
import type { CustomerStore, InsightStore } from './insights-types.js';

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
  listInteractions(query: InteractionQuery): Promise<Interaction[]>;
  countInteractions(organizationId: string): Promise<number>;
}

export const INGEST_CHUNK_SIZE = 100;

export type * from './insights-types.js';
