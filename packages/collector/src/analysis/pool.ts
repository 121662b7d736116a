import { availableParallelism } from 'node:os';
import { type SentimentResult, type SentimentTask, workerPath } from '@heed/ml-core';
import { Piscina } from 'piscina';
import { HeedError } from '../errors.js';
import { CircuitBreaker } from '../resilience/breaker.js';

export const MAX_BATCH = 32;

export interface SentimentPoolOptions {
  /** Worker threads. Default: one per core, at least 1. */
  threads?: number;
  /** Model directory; default: the model bundled with @heed/ml-core. */
  modelDir?: string | undefined;
  /** A task taking longer than this fails (ms). Default 10 s. */
  taskTimeoutMs?: number;
  /** Worker file; default: @heed/ml-core's worker. */
  filename?: string;
  /** Opens after consecutive timeouts or worker failures; predict then answers 503 at once. */
  breaker?: CircuitBreaker;
  /** After the model failed to load, how long before a task may try it again (ms). Default 30 s. */
  modelRetryMs?: number;
}

/** Scores texts on a Piscina thread pool; the model is loaded once per worker thread. */
export class SentimentPool {
  readonly modelName: string;
  private readonly pool: Piscina;
  private readonly timeoutMs: number;
  private readonly modelDir: string | undefined;
  private closed = false;
  private healthy = true;
  private failedAt = 0;
  private readonly modelRetryMs: number;
  readonly breaker: CircuitBreaker;

  constructor(opts: SentimentPoolOptions = {}) {
    const threads = Math.max(1, opts.threads ?? availableParallelism());
    this.pool = new Piscina({
      filename: opts.filename ?? workerPath(),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
    this.timeoutMs = opts.taskTimeoutMs ?? 10_000;
    this.breaker = opts.breaker ?? new CircuitBreaker({ name: 'analysis', isFailure: isPoolFailure });
    this.modelDir = opts.modelDir;
    this.modelRetryMs = opts.modelRetryMs ?? 30_000;
    this.modelName = opts.modelDir ? (opts.modelDir.split('/').pop() ?? 'custom') : 'heed-default';
  }

  /** Why the model is unusable (e.g. its files are missing), once a task has failed for that reason. */
  failure: string | undefined;

  /**
   * False after close(), while the breaker is open, or for `modelRetryMs` after the model failed to
   * load or run; predict then answers 503. After that wait the next task tries the model again (a
   * worker does not cache a failed load), so a model that was missing or broken and is then fixed
   * is picked up without a restart.
   */
  get available(): boolean {
    const modelOk = this.healthy || Date.now() - this.failedAt >= this.modelRetryMs;
    return !this.closed && modelOk && this.breaker.state !== 'open';
  }

  /** Loads the model in a worker now, so that a broken model is found at start-up. */
  async warmUp(): Promise<void> {
    await this.predict(['warm up']);
  }

  /** Where the model comes from, for messages. */
  get modelSource(): string {
    return this.modelDir ?? 'the bundled model';
  }

  async predict(texts: string[]): Promise<SentimentResult[]> {
    if (texts.length > MAX_BATCH) throw new Error(`at most ${MAX_BATCH} texts a task`);
    if (!this.available) {
      const retryAfter = this.breaker.state === 'open' ? this.breaker.retryAfterSeconds : 5;
      throw new HeedError('service_unavailable', 'The analysis pool is unavailable', { retryAfter });
    }
    const task: SentimentTask = this.modelDir ? { texts, modelDir: this.modelDir } : { texts };
    try {
      const results = await this.breaker.run(
        async () =>
          (await this.pool.run(task, { signal: AbortSignal.timeout(this.timeoutMs) })) as SentimentResult[],
      );
      this.healthy = true;
      this.failure = undefined;
      return results;
    } catch (err) {
      if (err instanceof HeedError) throw err; // the breaker is open
      if (isModelFailure(err)) {
        this.healthy = false;
        this.failedAt = Date.now();
        this.failure = err instanceof Error ? err.message : String(err);
      }
      throw new HeedError('service_unavailable', 'The analysis pool could not score the texts', {
        cause: err,
        retryAfter: 5,
      });
    }
  }

  /** Queued plus running tasks. */
  get queueSize(): number {
    return this.pool.queueSize;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}

/** Breaker failures: a task timed out or a worker failed, not one bad input. */
function isPoolFailure(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e.name === 'AbortError' ||
    e.name === 'TimeoutError' ||
    /abort|timed? ?out|worker|terminated/i.test(e.message ?? '')
  );
}

/** Errors that mean the model itself is broken (not one bad input). */
function isModelFailure(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /model|onnx|ENOENT|worker/i.test(message) && !/texts must be/.test(message);
}
