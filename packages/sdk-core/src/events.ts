import type { FieldError } from '@heed/protocol';

/** Why events left the queue without being stored. */
export type DropReason =
  /** The queue was full; the oldest events made room (overflow `drop-oldest`). */
  | 'queue_full'
  /** The collector rejected them (400 with per-item details); `details` says why. */
  | 'rejected'
  /** Larger than the collector accepts (32 KB an event), alone in a 413, or over the budget. */
  | 'too_large'
  /** Every retry failed (network errors, 408, 429, 5xx). */
  | 'retries_exhausted'
  /** Failed the SDK's own validation before being queued; `details` says why. */
  | 'invalid'
  /** `beforeSend` returned null. */
  | 'before_send'
  /** Left out by `sampleRate`. */
  | 'sampled'
  /** Tracked while opted out. */
  | 'opted_out'
  /** Could not be queued: the store refused the write, or the event is not JSON; `error` says why. */
  | 'not_queued';

export type ErrorCode = 'unauthorized' | 'http' | 'network' | 'hook' | 'storage';

export interface CoreEvents {
  /** Events the collector stored (or had already stored: `duplicates`). */
  delivered: { count: number; duplicates: number; messageIds: string[] };
  /** Events given up on, with the reason. */
  dropped: { reason: DropReason; count: number; messageIds: string[]; details?: FieldError[] | undefined };
  /**
   * Something went wrong; the SDK keeps going. `unauthorized` (401/403 or another unexpected 4xx)
   * stops sending from this client until it is created again; events stay queued.
   */
  /** `status`: the HTTP status of `http`/`unauthorized` errors, 0 for `network` (no response). */
  error: { code: ErrorCode; message: string; status?: number | undefined };
}

export type Listener<K extends keyof CoreEvents> = (payload: CoreEvents[K]) => void;
