import type { Logger } from '../logger.js';
import type { Hub } from '../realtime/hub.js';
import type { AnalysisStore, AnalyzedInteraction, PendingText } from '../storage/types.js';
import { MAX_BATCH } from './pool.js';
import type { Predictor } from './predictor.js';

export interface DispatcherOptions {
  store: AnalysisStore;
  predictor: Predictor;
  hub: Hub;
  logger: Logger;
  /** Rows per task. Default 32. */
  batchSize?: number;
  /** Batches in flight at once. Default 2. */
  concurrency?: number;
  /** How long a claim lasts before another worker may take the rows (ms). Default 60 s. */
  leaseMs?: number;
  /** Claims after which a failing row is marked failed. Default 3. */
  maxAttempts?: number;
  /** Poll interval when idle (ms). Default 500. */
  idleMs?: number;
  /** Called after each written batch (metrics). */
  onAnalyzed?: (rows: AnalyzedInteraction[], ms: number) => void;
}

/**
 * The durable analysis loop: claims unprocessed rows with text from the database, scores them on the
 * pool, writes the scores and publishes `sentiment.analyzed`. Everything it needs is in the database,
 * so a crash loses nothing: an unfinished claim expires and the rows are claimed again.
 */
export class Dispatcher {
  private running = false;
  /** True while the pool is unavailable (set when a batch had to be released). */
  private paused = false;
  private wakeUp: (() => void) | undefined;
  private readonly loops: Promise<void>[] = [];
  private readonly o: Required<Omit<DispatcherOptions, 'onAnalyzed'>> & Pick<DispatcherOptions, 'onAnalyzed'>;

  constructor(opts: DispatcherOptions) {
    this.o = {
      batchSize: MAX_BATCH,
      concurrency: 2,
      leaseMs: 60_000,
      maxAttempts: 3,
      idleMs: 500,
      ...opts,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.o.concurrency; i++) this.loops.push(this.loop());
  }

  /** New rows arrived: stop idling now rather than at the next poll. */
  poke(): void {
    this.wakeUp?.();
  }

  /** Stops claiming; waits for the batches in flight to be written. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await Promise.all(this.loops);
    this.loops.length = 0;
  }

  /** Claims and processes one batch; returns how many rows it claimed. */
  async runOnce(): Promise<number> {
    const claimed = await this.o.store.claim(this.o.batchSize, this.o.leaseMs);
    if (claimed.length === 0) return 0;
    await this.process(claimed);
    return claimed.length;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let n = 0;
      try {
        n = await this.runOnce();
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'analysis: claim failed');
      }
      if (n === 0 && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.o.idleMs);
      const previous = this.wakeUp;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        previous?.();
        done();
      };
    });
  }

  private async process(rows: PendingText[]): Promise<void> {
    const started = performance.now();
    let results: Awaited<ReturnType<Predictor['predict']>>;
    try {
      results = await this.o.predictor.predict(rows.map((r) => r.content));
    } catch (err) {
      if (!this.o.predictor.pool.available) {
        // The pool is down: not the rows' fault. Give them back untouched and back off. Said once
        // per outage, not at every retry.
        await this.o.store.release(rows.map((r) => r.id));
        if (!this.paused)
          this.o.logger.warn(
            { rows: rows.length, reason: this.o.predictor.pool.failure },
            'analysis: pool unavailable, rows released; retrying',
          );
        this.paused = true;
        await new Promise((r) => setTimeout(r, this.o.idleMs * 4));
        return;
      }
      if (rows.length > 1) {
        // Find the row at fault: score the others one by one.
        for (const row of rows) await this.process([row]);
        return;
      }
      const reason = errorText(err);
      const { failed } = await this.o.store.fail(
        rows.map((r) => r.id),
        reason,
        this.o.maxAttempts,
      );
      this.o.logger.warn({ rows: rows.length, failed: failed.length, reason }, 'analysis: text failed');
      return;
    }
    if (this.paused) this.o.logger.info('analysis: pool available again, scoring resumed');
    this.paused = false;
    const written = await this.write(rows, results);
    if (!written) return;
    const ms = performance.now() - started;
    if (ms > 500) this.o.logger.warn({ rows: rows.length, ms: Math.round(ms) }, 'analysis: slow batch');
    this.o.onAnalyzed?.(written, ms);
    for (const w of written) {
      this.o.hub.publish(w.organizationId, {
        type: 'sentiment.analyzed',
        data: {
          id: w.id,
          customerId: w.customerId,
          sentiment: w.sentiment,
          confidence: w.confidence,
          score: w.score,
          processedAt: w.processedAt.toISOString(),
        },
      });
    }
  }

  /**
   * Writes the scores. When that fails (a lost connection, a deadlock victim...), the rows are
   * given back at once, to be scored again by whichever dispatcher claims them next, instead of
   * waiting for their lease to run out; null then.
   */
  private async write(
    rows: PendingText[],
    results: Awaited<ReturnType<Predictor['predict']>>,
  ): Promise<AnalyzedInteraction[] | null> {
    try {
      return await this.o.store.complete(
        rows.map((r, i) => {
          const p = results[i]!;
          return { id: r.id, sentiment: { label: p.label, ...p.scores }, confidence: p.confidence };
        }),
      );
    } catch (err) {
      this.o.logger.warn(
        { rows: rows.length, err: errorText(err) },
        'analysis: writing scores failed, rows released',
      );
      await this.o.store.release(rows.map((r) => r.id)).catch(() => {}); // else their lease runs out
      return null;
    }
  }
}

function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return [e.message, e.cause?.message].filter(Boolean).join(': ') || String(err);
}
