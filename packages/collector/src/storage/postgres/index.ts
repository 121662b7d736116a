import type { ConnectionOptions } from 'node:tls';
import { isUuid, uuidv7 } from '@heed/protocol';
import { and, count, desc, eq, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { pending } from '../migrations.js';
import { chunk, customerDeltas, customerIdFor, dedupeByMessageId } from '../plan.js';
import { PostgresRollups } from '../rollups.js';
import { toCustomer, toInteraction } from '../rows.js';
import {
  type ApiKeyRecord,
  type BootstrapInput,
  type BootstrapResult,
  type Customer,
  INGEST_CHUNK_SIZE,
  type IngestOutcome,
  type Interaction,
  type InteractionInput,
  type InteractionQuery,
  type NewApiKey,
  type Storage,
} from '../types.js';
import { PostgresAnalysis } from './analysis.js';
import { PostgresAudit } from './audit.js';
import { PostgresImportJobs } from './imports.js';
import { postgresCustomers, postgresInsights } from './insights.js';
import { PostgresApiKeys } from './keys.js';
import { PostgresLive } from './live.js';
import { migrations } from './migrations/index.js';
import * as t from './schema.js';
import { PostgresSignals } from './signals.js';
import { PostgresRefreshTokens } from './tokens.js';
import { PostgresUsers } from './users.js';

type Db = NodePgDatabase<typeof t>;

export interface PostgresOptions {
  url: string;
  /** Pool size. Default 10. */
  max?: number;
  /** How long to wait for a connection before failing (ms). Default 3000. */
  connectionTimeoutMs?: number;
  /** Statement timeout (ms). Default 15000. */
  statementTimeoutMs?: number;
  onPoolError?: (err: Error) => void;
  /** TLS options for the connection (node:tls). */
  ssl?: ConnectionOptions;
}

const MIGRATION_LOCK = 72_6565_64; // arbitrary advisory lock key for migrations

export class PostgresStorage implements Storage {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly db: Db;
  readonly users: PostgresUsers;
  readonly insights: ReturnType<typeof postgresInsights>;
  readonly customers: ReturnType<typeof postgresCustomers>;
  readonly tokens: PostgresRefreshTokens;
  readonly keys: PostgresApiKeys;
  readonly audit: PostgresAudit;
  readonly analysis: PostgresAnalysis;
  readonly signals: PostgresSignals;
  readonly rollups: PostgresRollups;
  readonly live: PostgresLive;
  readonly imports: PostgresImportJobs;

  constructor(opts: PostgresOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      connectionTimeoutMillis: opts.connectionTimeoutMs ?? 3000,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
      query_timeout: (opts.statementTimeoutMs ?? 15_000) + 1000,
      idleTimeoutMillis: 30_000,
      ...(opts.ssl ? { ssl: opts.ssl } : {}),
    });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', (err) => opts.onPoolError?.(err));
    // Nor a checked-out one (a transaction between two statements when the server restarts): pg-pool
    // removes its own listener while a client is out, and an 'error' event with no listener throws.
    // The statement in progress still fails, and the client is discarded on release.
    this.pool.on('connect', (client) => client.on('error', () => {}));
    this.db = drizzle(this.pool, { schema: t });
    this.users = new PostgresUsers(this.db);
    this.insights = postgresInsights(this.pool);
    this.customers = postgresCustomers(this.pool);
    this.tokens = new PostgresRefreshTokens(this.pool);
    this.keys = new PostgresApiKeys(this.pool);
    this.audit = new PostgresAudit(this.pool);
    this.analysis = new PostgresAnalysis(this.pool);
    this.signals = new PostgresSignals(this.pool);
    this.live = new PostgresLive(this.pool);
    this.imports = new PostgresImportJobs(this.pool);
    this.rollups = new PostgresRollups(this.pool);
  }

  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
      const todo = pending(migrations, new Set(rows.map((r) => r.version)));
      for (const m of todo) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      }
      await client.query('COMMIT');
      return todo.map((m) => m.version);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async bootstrap(input: BootstrapInput): Promise<BootstrapResult | null> {
    return this.db.transaction(async (tx) => {
      // Serialise concurrent first starts; the second sees the organization and does nothing.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK + 1})`);
      const [existing] = await tx.select({ n: count() }).from(t.organizations);
      if ((existing?.n ?? 0) > 0) return null;
      const organizationId = uuidv7();
      const adminUserId = uuidv7();
      const writeKeyId = uuidv7();
      await tx
        .insert(t.organizations)
        .values({ id: organizationId, name: input.organizationName, slug: 'demo', settings: {} });
      await tx.insert(t.users).values({
        id: adminUserId,
        organizationId,
        email: input.adminEmail,
        name: 'Demo Admin',
        passwordHash: input.adminPasswordHash,
        role: 'admin',
        isActive: true,
      });
      await tx.insert(t.apiKeys).values({
        id: writeKeyId,
        organizationId,
        kind: 'write',
        name: 'Demo write key',
        keyHash: input.writeKeyHash,
        keyPrefix: input.writeKeyPrefix,
        createdBy: adminUserId,
      });
      return { organizationId, adminUserId, writeKeyId };
    });
  }

  async createOrganization(name: string, slug: string): Promise<string> {
    const id = uuidv7();
    await this.db.insert(t.organizations).values({ id, name, slug, settings: {} });
    return id;
  }

  async createApiKey(key: NewApiKey): Promise<string> {
    const id = uuidv7();
    await this.db.insert(t.apiKeys).values({
      id,
      organizationId: key.organizationId,
      kind: key.kind,
      name: key.name,
      keyHash: key.keyHash,
      keyPrefix: key.keyPrefix,
      allowedOrigins: key.allowedOrigins ?? null,
      createdBy: key.createdBy ?? null,
    });
    return id;
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const [row] = await this.db
      .select({
        id: t.apiKeys.id,
        organizationId: t.apiKeys.organizationId,
        kind: t.apiKeys.kind,
        name: t.apiKeys.name,
        keyPrefix: t.apiKeys.keyPrefix,
        allowedOrigins: t.apiKeys.allowedOrigins,
        revokedAt: t.apiKeys.revokedAt,
      })
      .from(t.apiKeys)
      .where(eq(t.apiKeys.keyHash, keyHash))
      .limit(1);
    return row ?? null;
  }

  async ingest(organizationId: string, rows: InteractionInput[]): Promise<IngestOutcome> {
    const { unique, repeated } = dedupeByMessageId(rows);
    const outcome: IngestOutcome = { inserted: [], duplicates: [...repeated] };
    if (unique.length === 0) return outcome;
    const client = await this.pool.connect();
    try {
      for (const part of chunk(unique, INGEST_CHUNK_SIZE)) {
        let inserted: string[] = [];
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query('BEGIN');
            inserted = await ingestChunk(client, organizationId, part);
            await client.query('COMMIT');
            break;
          } catch (err) {
            await client.query('ROLLBACK').catch(() => {});
            // A deadlock or serialization failure is resolved by running the chunk again.
            const code = (err as { code?: string }).code;
            if ((code === '40P01' || code === '40001') && attempt < 3) continue;
            throw err;
          }
        }
        const stored = new Set(inserted);
        for (const r of part)
          (stored.has(r.messageId) ? outcome.inserted : outcome.duplicates).push(r.messageId);
      }
    } finally {
      client.release();
    }
    return outcome;
  }

  async getCustomerById(organizationId: string, id: string): Promise<Customer | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db
      .select()
      .from(t.customers)
      .where(and(eq(t.customers.organizationId, organizationId), eq(t.customers.id, id)))
      .limit(1);
    return row ? toCustomer(row) : null;
  }

  async getCustomerByExternalId(organizationId: string, externalId: string): Promise<Customer | null> {
    const [row] = await this.db
      .select()
      .from(t.customers)
      .where(and(eq(t.customers.organizationId, organizationId), eq(t.customers.externalId, externalId)))
      .limit(1);
    return row ? toCustomer(row) : null;
  }

  async listInteractions(q: InteractionQuery): Promise<Interaction[]> {
    const where = q.customerId
      ? and(eq(t.interactions.organizationId, q.organizationId), eq(t.interactions.customerId, q.customerId))
      : eq(t.interactions.organizationId, q.organizationId);
    const rows = await this.db
      .select()
      .from(t.interactions)
      .where(where)
      .orderBy(desc(t.interactions.timestamp), desc(t.interactions.id))
      .limit(q.limit ?? 100);
    return rows.map(toInteraction);
  }

  async countInteractions(organizationId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(t.interactions)
      .where(eq(t.interactions.organizationId, organizationId));
    return row?.n ?? 0;
  }
}

/**
 * One chunk in one transaction, with array parameters (unnest) so that a 100-row chunk is four short
 * statements whatever its size: customers inserted if new, their ids read, the interactions inserted
 * (duplicates skipped), then the counters of the customers whose interactions were stored.
 */
async function ingestChunk(
  client: pg.PoolClient,
  organizationId: string,
  part: InteractionInput[],
): Promise<string[]> {
  // One lock order for every writer (message ids, then customer ids): concurrent chunks cannot deadlock.
  const rows = [...part].sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
  // Customer ids are derived from (organization, external id), so the interactions can be written
  // first and only the customers of the rows actually stored are touched afterwards. The foreign key
  // is checked at commit (DEFERRABLE, migration 0007).
  const { rows: inserted } = await client.query<{ message_id: string; customer_id: string }>(
    `INSERT INTO customer_interactions
       (id, organization_id, customer_id, message_id, "timestamp", received_at, channel, event_type, content, metadata)
     SELECT i.id, $1, i.customer_id, i.message_id, i.ts, i.received_at, i.channel, i.event_type, i.content, i.metadata
     FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::jsonb[])
       AS i(id, customer_id, message_id, ts, received_at, channel, event_type, content, metadata)
     ON CONFLICT (organization_id, message_id) DO NOTHING
     RETURNING message_id, customer_id`,
    [
      organizationId,
      rows.map((r) => r.id),
      rows.map((r) => customerIdFor(organizationId, r.externalId)),
      rows.map((r) => r.messageId),
      rows.map((r) => r.timestamp),
      rows.map((r) => r.receivedAt),
      rows.map((r) => r.channel),
      rows.map((r) => r.eventType),
      rows.map((r) => r.content),
      rows.map((r) => JSON.stringify(r.metadata)),
    ],
  );
  if (inserted.length === 0) return [];
  const byMessage = new Map(rows.map((r) => [r.messageId, r]));
  const deltas = customerDeltas(
    inserted.map((i) => ({ customerId: i.customer_id, row: byMessage.get(i.message_id)! })),
  );
  const externalOf = new Map(inserted.map((i) => [i.customer_id, byMessage.get(i.message_id)!.externalId]));
  const { rows: customers } = await client.query<{ id: string; external_id: string }>(
    `INSERT INTO customers AS c
       (id, organization_id, external_id, first_seen_at, last_seen_at, interaction_count, segment, traits)
     SELECT v.id, $1, v.external_id, v.first_seen, v.last_seen, v.n, v.segment, COALESCE(v.traits, '{}'::jsonb)
       FROM unnest($2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::jsonb[])
         AS v(id, external_id, n, first_seen, last_seen, segment, traits)
     ON CONFLICT (organization_id, external_id) DO UPDATE SET
       interaction_count = c.interaction_count + EXCLUDED.interaction_count,
       first_seen_at = LEAST(c.first_seen_at, EXCLUDED.first_seen_at),
       last_seen_at = GREATEST(c.last_seen_at, EXCLUDED.last_seen_at),
       segment = COALESCE(EXCLUDED.segment, c.segment),
       traits = c.traits || EXCLUDED.traits
     RETURNING c.id, c.external_id`,
    [
      organizationId,
      deltas.map((d) => d.customerId),
      deltas.map((d) => externalOf.get(d.customerId)!),
      deltas.map((d) => d.count),
      deltas.map((d) => d.firstSeenAt),
      deltas.map((d) => d.lastSeenAt),
      deltas.map((d) => d.segment),
      deltas.map((d) => (d.traits === null ? null : JSON.stringify(d.traits))),
    ],
  );
  // A customer created before ids were derived keeps its id: point this chunk's rows at it.
  const moved = customers.filter((c) => c.id !== customerIdFor(organizationId, c.external_id));
  if (moved.length > 0) {
    await client.query(
      `UPDATE customer_interactions AS i SET customer_id = v.actual
         FROM unnest($2::uuid[], $3::uuid[]) AS v(derived, actual)
        WHERE i.organization_id = $1 AND i.customer_id = v.derived AND i.message_id = ANY($4::text[])`,
      [
        organizationId,
        moved.map((c) => customerIdFor(organizationId, c.external_id)),
        moved.map((c) => c.id),
        inserted.map((i) => i.message_id),
      ],
    );
  }
  return inserted.map((i) => i.message_id);
}
