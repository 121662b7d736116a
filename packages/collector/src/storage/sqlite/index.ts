import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { uuidv7 } from '@heed/protocol';
import Database from 'better-sqlite3';
import { and, count, desc, eq } from 'drizzle-orm';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { pending } from '../migrations.js';
import { chunk, customerDeltas, customerIdFor, customerSeeds, dedupeByMessageId } from '../plan.js';
import { SqliteRollups } from '../rollups.js';
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
import { SqliteAnalysis } from './analysis.js';
import { SqliteAudit } from './audit.js';
import { SqliteImportJobs } from './imports.js';
import { sqliteCustomers, sqliteInsights } from './insights.js';
import { SqliteApiKeys } from './keys.js';
import { SqliteLive } from './live.js';
import { migrations } from './migrations/index.js';
import * as t from './schema.js';
import { SqliteSignals } from './signals.js';
import { SqliteRefreshTokens } from './tokens.js';
import { SqliteUsers } from './users.js';

type Db = BetterSQLite3Database<typeof t>;

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /**
   * `NORMAL` (default) survives a crash of the process (kill -9) in WAL mode; `FULL` also survives an
   * OS crash or power loss, at the cost of an fsync per transaction.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

export class SqliteStorage implements Storage {
  readonly dialect = 'sqlite' as const;
  readonly sqlite: Database.Database;
  private readonly db: Db;
  readonly users: SqliteUsers;
  readonly insights: ReturnType<typeof sqliteInsights>;
  readonly customers: ReturnType<typeof sqliteCustomers>;
  readonly tokens: SqliteRefreshTokens;
  readonly keys: SqliteApiKeys;
  readonly audit: SqliteAudit;
  readonly analysis: SqliteAnalysis;
  readonly signals: SqliteSignals;
  readonly rollups: SqliteRollups;
  readonly live: SqliteLive;
  readonly imports: SqliteImportJobs;

  constructor(opts: SqliteOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.sqlite = new Database(opts.path);
    this.sqlite.pragma('journal_mode = WAL');
    this.sqlite.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.sqlite.pragma('foreign_keys = ON');
    this.sqlite.pragma('busy_timeout = 5000');
    this.db = drizzle(this.sqlite, { schema: t });
    this.users = new SqliteUsers(this.db);
    this.insights = sqliteInsights(this.sqlite);
    this.customers = sqliteCustomers(this.sqlite);
    this.tokens = new SqliteRefreshTokens(this.sqlite);
    this.keys = new SqliteApiKeys(this.sqlite);
    this.audit = new SqliteAudit(this.sqlite);
    this.analysis = new SqliteAnalysis(this.sqlite);
    this.signals = new SqliteSignals(this.sqlite);
    this.live = new SqliteLive(this.sqlite);
    this.imports = new SqliteImportJobs(this.sqlite);
    this.rollups = new SqliteRollups(this.sqlite);
  }

  async migrate(): Promise<string[]> {
    this.sqlite.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)))",
    );
    const run = this.sqlite.transaction(() => {
      const applied = this.sqlite.prepare('SELECT version FROM schema_migrations').pluck().all() as string[];
      const todo = pending(migrations, new Set(applied));
      for (const m of todo) {
        this.sqlite.exec(m.sql);
        this.sqlite.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(m.version);
      }
      return todo.map((m) => m.version);
    });
    return run.immediate();
  }

  async ping(): Promise<void> {
    this.sqlite.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.sqlite.open) this.sqlite.close();
  }

  async bootstrap(input: BootstrapInput): Promise<BootstrapResult | null> {
    return this.db.transaction(
      (tx) => {
        const existing = tx.select({ n: count() }).from(t.organizations).get();
        if ((existing?.n ?? 0) > 0) return null;
        const organizationId = uuidv7();
        const adminUserId = uuidv7();
        const writeKeyId = uuidv7();
        tx.insert(t.organizations)
          .values({ id: organizationId, name: input.organizationName, slug: 'demo', settings: {} })
          .run();
        tx.insert(t.users)
          .values({
            id: adminUserId,
            organizationId,
            email: input.adminEmail,
            name: 'Demo Admin',
            passwordHash: input.adminPasswordHash,
            role: 'admin',
            isActive: true,
          })
          .run();
        tx.insert(t.apiKeys)
          .values({
            id: writeKeyId,
            organizationId,
            kind: 'write',
            name: 'Demo write key',
            keyHash: input.writeKeyHash,
            keyPrefix: input.writeKeyPrefix,
            createdBy: adminUserId,
          })
          .run();
        return { organizationId, adminUserId, writeKeyId };
      },
      { behavior: 'immediate' },
    );
  }

  async createOrganization(name: string, slug: string): Promise<string> {
    const id = uuidv7();
    this.db.insert(t.organizations).values({ id, name, slug, settings: {} }).run();
    return id;
  }

  async createApiKey(key: NewApiKey): Promise<string> {
    const id = uuidv7();
    this.db
      .insert(t.apiKeys)
      .values({
        id,
        organizationId: key.organizationId,
        kind: key.kind,
        name: key.name,
        keyHash: key.keyHash,
        keyPrefix: key.keyPrefix,
        allowedOrigins: key.allowedOrigins ?? null,
        createdBy: key.createdBy ?? null,
      })
      .run();
    return id;
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = this.db
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
      .get();
    return row ?? null;
  }

  async ingest(organizationId: string, rows: InteractionInput[]): Promise<IngestOutcome> {
    const { unique, repeated } = dedupeByMessageId(rows);
    const outcome: IngestOutcome = { inserted: [], duplicates: [...repeated] };
    for (const part of chunk(unique, INGEST_CHUNK_SIZE)) {
      const inserted = this.sqlite.transaction(() => this.ingestChunk(organizationId, part)).immediate();
      const stored = new Set(inserted);
      for (const r of part)
        (stored.has(r.messageId) ? outcome.inserted : outcome.duplicates).push(r.messageId);
    }
    return outcome;
  }

  /** Prepared once: the ingest hot path runs these for every chunk. */
  private get stmts() {
    this._stmts ??= {
      insertCustomer: this.sqlite.prepare(
        `INSERT INTO customers (id, organization_id, external_id, first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (organization_id, external_id) DO NOTHING`,
      ),
      customerId: this.sqlite
        .prepare('SELECT id FROM customers WHERE organization_id = ? AND external_id = ?')
        .pluck(),
      insertInteraction: this.sqlite
        .prepare(
          `INSERT INTO customer_interactions
             (id, organization_id, customer_id, message_id, timestamp, received_at, channel, event_type, content, metadata)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (organization_id, message_id) DO NOTHING RETURNING customer_id`,
        )
        .pluck(),
      updateCustomer: this.sqlite.prepare(
        `UPDATE customers SET
           interaction_count = interaction_count + @count,
           first_seen_at = min(first_seen_at, @firstSeenAt),
           last_seen_at = max(last_seen_at, @lastSeenAt),
           segment = COALESCE(@segment, segment),
           traits = CASE WHEN @traits IS NULL THEN traits ELSE json_patch(traits, @traits) END,
           updated_at = @now
         WHERE id = @customerId AND organization_id = @organizationId`,
      ),
    };
    return this._stmts;
  }
  private _stmts:
    | Record<'insertCustomer' | 'customerId' | 'insertInteraction' | 'updateCustomer', Database.Statement>
    | undefined;

  private ingestChunk(organizationId: string, part: InteractionInput[]): string[] {
    const s = this.stmts;
    const customerOf = new Map<string, string>();
    for (const seed of customerSeeds(part)) {
      const { externalId, firstSeenAt, lastSeenAt } = seed;
      // Returning customers (the common case) cost one lookup; new ones get their derived id.
      let id = s.customerId.get(organizationId, externalId) as string | undefined;
      if (id === undefined) {
        id = customerIdFor(organizationId, externalId);
        s.insertCustomer.run(id, organizationId, externalId, firstSeenAt.getTime(), lastSeenAt.getTime());
      }
      customerOf.set(externalId, id);
    }
    const stored: Array<{ customerId: string; row: InteractionInput }> = [];
    for (const r of part) {
      const customerId = s.insertInteraction.get(
        r.id,
        organizationId,
        customerOf.get(r.externalId),
        r.messageId,
        r.timestamp.getTime(),
        r.receivedAt.getTime(),
        r.channel,
        r.eventType,
        r.content,
        JSON.stringify(r.metadata),
      ) as string | undefined;
      if (customerId !== undefined) stored.push({ customerId, row: r });
    }
    for (const d of customerDeltas(stored)) {
      s.updateCustomer.run({
        count: d.count,
        firstSeenAt: d.firstSeenAt.getTime(),
        lastSeenAt: d.lastSeenAt.getTime(),
        segment: d.segment,
        traits: d.traits === null ? null : JSON.stringify(d.traits),
        customerId: d.customerId,
        organizationId,
        now: Date.now(),
      });
    }
    return stored.map((x) => x.row.messageId);
  }

  async getCustomerById(organizationId: string, id: string): Promise<Customer | null> {
    const row = this.db
      .select()
      .from(t.customers)
      .where(and(eq(t.customers.organizationId, organizationId), eq(t.customers.id, id)))
      .get();
    return row ? toCustomer(row) : null;
  }

  async getCustomerByExternalId(organizationId: string, externalId: string): Promise<Customer | null> {
    const row = this.db
      .select()
      .from(t.customers)
      .where(and(eq(t.customers.organizationId, organizationId), eq(t.customers.externalId, externalId)))
      .get();
    return row ? toCustomer(row) : null;
  }

  async listInteractions(q: InteractionQuery): Promise<Interaction[]> {
    const where = q.customerId
      ? and(eq(t.interactions.organizationId, q.organizationId), eq(t.interactions.customerId, q.customerId))
      : eq(t.interactions.organizationId, q.organizationId);
    return this.db
      .select()
      .from(t.interactions)
      .where(where)
      .orderBy(desc(t.interactions.timestamp), desc(t.interactions.id))
      .limit(q.limit ?? 100)
      .all()
      .map(toInteraction);
  }

  async countInteractions(organizationId: string): Promise<number> {
    const row = this.db
      .select({ n: count() })
      .from(t.interactions)
      .where(eq(t.interactions.organizationId, organizationId))
      .get();
    return row?.n ?? 0;
  }
}
