import { uuidv7 } from '@heed/protocol';
import { and, count, desc, eq, inArray, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { pending } from '../migrations.js';
import { chunk, customerDeltas, customerSeeds, dedupeByMessageId } from '../plan.js';
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
import { migrations } from './migrations/index.js';
import * as t from './schema.js';

type Db = NodePgDatabase<typeof t>;
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface PostgresOptions {
  url: string;
  /** Pool size. Default 10. */
  max?: number;
  /** How long to wait for a connection before failing (ms). Default 3000. */
  connectionTimeoutMs?: number;
  /** Statement timeout (ms). Default 15000. */
  statementTimeoutMs?: number;
  onPoolError?: (err: Error) => void;
}

const MIGRATION_LOCK = 72_6565_64; // arbitrary advisory lock key for migrations

export class PostgresStorage implements Storage {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly db: Db;

  constructor(opts: PostgresOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      connectionTimeoutMillis: opts.connectionTimeoutMs ?? 3000,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
      query_timeout: (opts.statementTimeoutMs ?? 15_000) + 1000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', (err) => opts.onPoolError?.(err));
    this.db = drizzle(this.pool, { schema: t });
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
    for (const part of chunk(unique, INGEST_CHUNK_SIZE)) {
      const inserted = await this.db.transaction((tx) => this.ingestChunk(tx, organizationId, part));
      const stored = new Set(inserted);
      for (const r of part)
        (stored.has(r.messageId) ? outcome.inserted : outcome.duplicates).push(r.messageId);
    }
    return outcome;
  }

  private async ingestChunk(tx: Tx, organizationId: string, part: InteractionInput[]): Promise<string[]> {
    const seeds = customerSeeds(part);
    await tx
      .insert(t.customers)
      .values(
        seeds.map((s) => ({
          id: uuidv7(),
          organizationId,
          externalId: s.externalId,
          traits: {},
          firstSeenAt: s.firstSeenAt,
          lastSeenAt: s.lastSeenAt,
          interactionCount: 0,
          sentimentCount: 0,
        })),
      )
      .onConflictDoNothing({ target: [t.customers.organizationId, t.customers.externalId] });
    const ids = await tx
      .select({ id: t.customers.id, externalId: t.customers.externalId })
      .from(t.customers)
      .where(
        and(
          eq(t.customers.organizationId, organizationId),
          inArray(
            t.customers.externalId,
            seeds.map((s) => s.externalId),
          ),
        ),
      );
    const customerOf = new Map(ids.map((r) => [r.externalId, r.id]));
    const inserted = await tx
      .insert(t.interactions)
      .values(
        part.map((r) => ({
          id: r.id,
          organizationId,
          customerId: customerOf.get(r.externalId)!,
          messageId: r.messageId,
          timestamp: r.timestamp,
          receivedAt: r.receivedAt,
          channel: r.channel,
          eventType: r.eventType,
          content: r.content,
          metadata: r.metadata,
          analysisAttempts: 0,
        })),
      )
      .onConflictDoNothing({ target: [t.interactions.organizationId, t.interactions.messageId] })
      .returning({ messageId: t.interactions.messageId, customerId: t.interactions.customerId });
    if (inserted.length === 0) return [];
    const byMessage = new Map(part.map((r) => [r.messageId, r]));
    const deltas = customerDeltas(
      inserted.map((i) => ({ customerId: i.customerId, row: byMessage.get(i.messageId)! })),
    );
    const values = sql.join(
      deltas.map(
        (d) =>
          sql`(${d.customerId}::uuid, ${d.count}::int, ${d.firstSeenAt.toISOString()}::timestamptz, ${d.lastSeenAt.toISOString()}::timestamptz, ${d.segment}::text, ${d.traits === null ? null : JSON.stringify(d.traits)}::jsonb)`,
      ),
      sql`, `,
    );
    await tx.execute(sql`
      UPDATE customers AS c SET
        interaction_count = c.interaction_count + v.n,
        first_seen_at = LEAST(c.first_seen_at, v.first_seen),
        last_seen_at = GREATEST(c.last_seen_at, v.last_seen),
        segment = COALESCE(v.segment, c.segment),
        traits = CASE WHEN v.traits IS NULL THEN c.traits ELSE c.traits || v.traits END
      FROM (VALUES ${values}) AS v(id, n, first_seen, last_seen, segment, traits)
      WHERE c.id = v.id AND c.organization_id = ${organizationId}::uuid`);
    return inserted.map((i) => i.messageId);
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
