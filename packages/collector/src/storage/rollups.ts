import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * The daily trend rollup (migration 0008): `interaction_daily_rollups` holds, per organization, UTC day,
 * channel and segment, the sums of the trend queries; triggers mark a day in `interaction_rollup_dirty`
 * in the same transaction as any change to it. `refresh` recomputes marked days from the raw rows and
 * clears their marks; readers (insights trends) use the rollup for unmarked days only, so an answer is
 * always the raw answer, whether the refresher is behind or not.
 */
export interface RollupStore {
  /**
   * Recomputes up to `maxDays` marked (organization, day) pairs of closed days (before the UTC day of
   * `now`); returns how many it recomputed (0: caught up). Safe to run from several processes at once.
   */
  refresh(opts?: { maxDays?: number; now?: Date }): Promise<number>;
  /** Marked days not yet recomputed (all organizations; the open day included). */
  backlog(): Promise<number>;
}

export const ROLLUP_DAY_MS = 86_400_000;
/** Days recomputed per transaction: the organization's writers wait for that long. */
const DAYS_PER_TX = 7;
/** The advisory lock class of the rollup (the writers' triggers take it shared per organization). */
const LOCK_CLASS = 7_265_656;
/** How long the refresher waits for an organization's writers before leaving it for the next pass. */
const LOCK_TIMEOUT_MS = 500;

const startOfDay = (d: Date) => Math.floor(d.getTime() / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;

const SUMS = (score: string, label: string) => `count(*), count(${score}), sum(${score}),
  sum(CASE WHEN ${label} = 'positive' THEN 1 ELSE 0 END),
  sum(CASE WHEN ${label} = 'negative' THEN 1 ELSE 0 END),
  sum(CASE WHEN ${label} = 'neutral' THEN 1 ELSE 0 END)`;

const COLUMNS = 'organization_id, day, channel, segment, n, scored, ssum, pos, neg, neu';

export class PostgresRollups implements RollupStore {
  constructor(private readonly pool: pg.Pool) {}

  async refresh(opts: { maxDays?: number; now?: Date } = {}): Promise<number> {
    const maxDays = opts.maxDays ?? 200;
    const closedBefore = new Date(startOfDay(opts.now ?? new Date()));
    const { rows: orgs } = await this.pool.query<{ organization_id: string }>(
      `SELECT DISTINCT organization_id FROM interaction_rollup_dirty WHERE day < $1`,
      [closedBefore],
    );
    let done = 0;
    for (const { organization_id: org } of orgs) {
      while (done < maxDays) {
        const n = await this.refreshOrg(org, closedBefore, Math.min(DAYS_PER_TX, maxDays - done));
        done += n;
        if (n === 0) break;
      }
      if (done >= maxDays) break;
    }
    return done;
  }

  private async refreshOrg(org: string, closedBefore: Date, limit: number): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Waits for the organization's writers in flight (their changes are then committed and seen by
      // the statements below); new writers wait until this transaction ends, then mark again. A writer
      // waiting behind this lock may hold what another writer in flight waits for: give up before the
      // deadlock detector (1 s) could pick a writer as the victim, and try again on the next pass.
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT_MS}ms'`);
      try {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2::text))', [LOCK_CLASS, org]);
      } catch (err) {
        if ((err as { code?: string }).code !== '55P03') throw err;
        await client.query('ROLLBACK');
        return 0;
      }
      await client.query('SET LOCAL lock_timeout = 0');
      const { rows } = await client.query<{ day: Date }>(
        `DELETE FROM interaction_rollup_dirty d
          WHERE d.organization_id = $1 AND d.day IN (
            SELECT day FROM interaction_rollup_dirty
             WHERE organization_id = $1 AND day < $2 ORDER BY day LIMIT $3)
          RETURNING d.day`,
        [org, closedBefore, limit],
      );
      if (rows.length > 0) {
        const days = rows.map((r) => r.day);
        await client.query(
          'DELETE FROM interaction_daily_rollups WHERE organization_id = $1 AND day = ANY($2::timestamptz[])',
          [org, days],
        );
        await client.query(
          `INSERT INTO interaction_daily_rollups (${COLUMNS})
           SELECT $1, d.day, ci.channel, c.segment, ${SUMS('ci.sentiment_score', 'ci.sentiment_label')}
             FROM unnest($2::timestamptz[]) AS d(day)
             JOIN customer_interactions ci ON ci.organization_id = $1::uuid
               AND ci."timestamp" >= d.day AND ci."timestamp" < d.day + interval '1 day'
             JOIN customers c ON c.id = ci.customer_id
            GROUP BY d.day, ci.channel, c.segment`,
          [org, days],
        );
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async backlog(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM interaction_rollup_dirty',
    );
    return Number(rows[0]?.n ?? 0);
  }
}

export class SqliteRollups implements RollupStore {
  constructor(private readonly db: Database.Database) {}

  async refresh(opts: { maxDays?: number; now?: Date } = {}): Promise<number> {
    const maxDays = opts.maxDays ?? 200;
    const closedBefore = startOfDay(opts.now ?? new Date());
    const pick = this.db.prepare(
      'SELECT organization_id, day FROM interaction_rollup_dirty WHERE day < ? ORDER BY organization_id, day LIMIT ?',
    );
    const clearMark = this.db.prepare(
      'DELETE FROM interaction_rollup_dirty WHERE organization_id = ? AND day = ?',
    );
    const clearDay = this.db.prepare(
      'DELETE FROM interaction_daily_rollups WHERE organization_id = ? AND day = ?',
    );
    const compute = this.db.prepare(
      `INSERT INTO interaction_daily_rollups (${COLUMNS})
       SELECT ci.organization_id, @day, ci.channel, c.segment, ${SUMS('ci.sentiment_score', 'ci.sentiment_label')}
         FROM customer_interactions ci JOIN customers c ON c.id = ci.customer_id
        WHERE ci.organization_id = @org AND ci.timestamp >= @day AND ci.timestamp < @day + ${ROLLUP_DAY_MS}
        GROUP BY ci.channel, c.segment`,
    );
    let done = 0;
    // One write transaction per batch: no writer can change a day between its recompute and its unmarking.
    const batch = this.db.transaction((limit: number) => {
      const marks = pick.all(closedBefore, limit) as Array<{ organization_id: string; day: number }>;
      for (const m of marks) {
        clearDay.run(m.organization_id, m.day);
        compute.run({ org: m.organization_id, day: m.day });
        clearMark.run(m.organization_id, m.day);
      }
      return marks.length;
    });
    while (done < maxDays) {
      const n = batch.immediate(Math.min(DAYS_PER_TX * 4, maxDays - done));
      done += n;
      if (n === 0) break;
    }
    return done;
  }

  async backlog(): Promise<number> {
    const row = this.db.prepare('SELECT count(*) AS n FROM interaction_rollup_dirty').get() as { n: number };
    return row.n;
  }
}

/** Keeps the rollup up to date in the background: a refresh pass every `intervalMs` until stopped. */
export class RollupRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: RollupStore,
    private readonly opts: { intervalMs?: number; onError?: (err: Error) => void } = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }, ms);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    let more = false;
    try {
      // A full batch means there is more to do (catching up): go on at once.
      more = (await this.store.refresh({ maxDays: 200 })) >= 200;
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
    this.schedule(more ? 0 : (this.opts.intervalMs ?? 10_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
