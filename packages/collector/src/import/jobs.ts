import { storable } from '../ingest/body.js';
import type { Logger } from '../logger.js';
import {
  IMPORT_INTERRUPTED,
  type ImportJob,
  type ImportJobPatch,
  type ImportJobProgress,
  type Storage,
} from '../storage/types.js';
import type { DataProfile } from './profile.js';
import type { ImportSummary, RowError } from './run.js';

/** Progress is written at most this often per job (phase changes and the end are always written). */
export const PROGRESS_WRITE_MS = 1000;
/** A running job's row is touched at least this often, even while nothing moves (profiling). */
export const HEARTBEAT_MS = 30_000;
/**
 * A 'running' job whose row has not been written for this long belongs to a process that is gone: its
 * own process writes it at least every HEARTBEAT_MS (ten heartbeats fit in this window).
 */
export const STALE_MS = 5 * 60_000;
/** Row errors kept in a stored summary (the count of rejected rows is always complete). */
export const MAX_STORED_ROW_ERRORS = 100;
const MAX_ERROR_MESSAGE = 500;
/**
 * The final write is tried this often, waiting 1, 2, 4, 8 and 16 s between tries: longer in all than
 * the database circuit breaker stays open (5 s), so a blip at the end of an import does not lose its
 * result. The last tries leave the data profile out, in case it is what the database refuses.
 */
const FINAL_WRITE_ATTEMPTS = 6;

export type StoredSummary = Omit<ImportSummary, 'profile'>;

/**
 * The patch with its JSON documents and error made storable on both dialects: a file's column names
 * and values may hold NULs or lone surrogates, which PostgreSQL's jsonb and text refuse.
 */
function storablePatch(patch: ImportJobPatch): ImportJobPatch {
  const out = { ...patch };
  if (out.profile != null) out.profile = storable(out.profile);
  if (out.summary != null) out.summary = storable(out.summary);
  if (out.error != null) out.error = storable(out.error) as string;
  return out;
}

/** The summary as stored: counts intact, the first MAX_STORED_ROW_ERRORS row errors, messages cut. */
export function storedSummary(summary: ImportSummary): StoredSummary {
  const { profile: _p, errors, ...rest } = summary;
  const cut = (e: RowError): RowError =>
    e.message.length > MAX_ERROR_MESSAGE ? { ...e, message: `${e.message.slice(0, MAX_ERROR_MESSAGE)}…` } : e;
  return { ...rest, errors: errors.slice(0, MAX_STORED_ROW_ERRORS).map(cut) };
}

/**
 * How a job reads to clients: a 'running' job that nothing has written for STALE_MS was interrupted
 * (its process stopped, and no start-up has swept it yet).
 */
export function effectiveJob(job: ImportJob, now = Date.now()): ImportJob {
  if (job.status !== 'running' || now - job.updatedAt.getTime() <= STALE_MS) return job;
  return { ...job, status: 'failed', error: IMPORT_INTERRUPTED, finishedAt: job.updatedAt };
}

export interface JobRecorderOptions {
  storage: Storage;
  logger: Logger;
  organizationId: string;
  jobId: string;
  progress: ImportJobProgress;
  /** Default Date.now (tests pass a clock). */
  now?: () => number;
  /** Default HEARTBEAT_MS; 0 turns the heartbeat timer off. */
  heartbeatMs?: number;
  /** First wait between final-write tries, doubling each time. Default 1,000 ms (tests pass less). */
  retryBaseMs?: number;
}

/**
 * Writes one job's state to storage: progress at most once per PROGRESS_WRITE_MS (always on a phase
 * change), one write at a time, the newest state last. A failed progress write is logged and never
 * fails the import; the final write is always attempted (and retried).
 */
export class JobRecorder {
  private progress: ImportJobProgress;
  private profile: DataProfile | undefined;
  private lastWrite: number;
  /** Every write, in order: each starts after the one before it settled. */
  private tail: Promise<void> = Promise.resolve();
  /** A progress write is queued and not started yet (it will write the newest progress). */
  private progressQueued = false;
  private finished = false;
  private readonly now: () => number;
  private readonly heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly opts: JobRecorderOptions) {
    this.progress = opts.progress;
    this.now = opts.now ?? Date.now;
    this.lastWrite = this.now(); // the row was just created
    const every = opts.heartbeatMs ?? HEARTBEAT_MS;
    if (every > 0) {
      this.heartbeat = setInterval(() => {
        if (this.now() - this.lastWrite >= every) this.flush();
      }, every);
      this.heartbeat.unref();
    }
  }

  onProfile(profile: DataProfile): void {
    if (this.finished) return;
    this.profile = profile;
    this.lastWrite = this.now();
    this.enqueue(() => ({ profile }), 'import profile write failed');
  }

  onProgress(p: ImportJobProgress): void {
    const phaseChanged = p.phase !== this.progress.phase;
    this.progress = p;
    if (phaseChanged || this.now() - this.lastWrite >= PROGRESS_WRITE_MS) this.flush();
  }

  /** Writes the final state (with the newest progress and the profile) after every pending write. */
  async finish(patch: ImportJobPatch): Promise<void> {
    this.finished = true;
    clearInterval(this.heartbeat);
    await this.tail;
    for (let attempt = 1; ; attempt++) {
      try {
        const withProfile = this.profile && attempt <= FINAL_WRITE_ATTEMPTS / 2;
        await this.opts.storage.imports.update(
          this.opts.organizationId,
          this.opts.jobId,
          storablePatch({
            progress: this.progress,
            // Again: its own write may have failed.
            ...(withProfile ? { profile: this.profile } : {}),
            ...patch,
          }),
        );
        return;
      } catch (err) {
        if (attempt >= FINAL_WRITE_ATTEMPTS) {
          this.opts.logger.error(
            { err: (err as Error)?.message, jobId: this.opts.jobId },
            'import job result could not be stored',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, (this.opts.retryBaseMs ?? 1000) * 2 ** (attempt - 1)));
      }
    }
  }

  /** Resolves when the writes queued so far have settled. */
  settled(): Promise<void> {
    return this.tail;
  }

  /** Queues a write of the newest progress, unless one is already waiting. */
  private flush(): void {
    if (this.finished) return;
    this.lastWrite = this.now();
    if (this.progressQueued) return;
    this.progressQueued = true;
    this.enqueue(() => {
      this.progressQueued = false;
      return { progress: this.progress };
    }, 'import progress write failed');
  }

  private enqueue(patch: () => ImportJobPatch, message: string): void {
    this.tail = this.tail
      .then(() =>
        this.opts.storage.imports.update(this.opts.organizationId, this.opts.jobId, storablePatch(patch())),
      )
      .then(
        () => {},
        (err: unknown) => {
          this.opts.logger.warn({ err: (err as Error)?.message, jobId: this.opts.jobId }, message);
        },
      );
  }
}

/**
 * At start-up: jobs left 'running' by a process that is gone are marked failed. Only jobs whose row
 * has not been written for STALE_MS are touched: several collector instances may share the database,
 * and another live instance's running job is written at least every HEARTBEAT_MS (progress at most
 * once a second, plus a heartbeat while profiling), so it is never this stale. Marking every running
 * job would fail imports that are still making progress elsewhere. Jobs of a process that stopped
 * less than STALE_MS before this start read as failed anyway (effectiveJob) once they are stale.
 */
export async function failInterruptedImports(
  storage: Storage,
  logger: Logger,
  staleMs = STALE_MS,
): Promise<number> {
  try {
    const n = await storage.imports.failInterrupted(staleMs);
    if (n > 0) logger.warn({ jobs: n }, 'import jobs interrupted by a restart marked failed');
    return n;
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not mark interrupted import jobs');
    return 0;
  }
}
