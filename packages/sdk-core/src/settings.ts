import type { FieldError, HeedEvent } from '@heed/protocol';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '@heed/protocol';
import { memoryStorage, type QueueStorage } from './storage.js';
import type { Compress, FetchLike, SendBeacon } from './transport.js';

/** A settings value is wrong. Thrown once, when the client is created. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
  }
}

/** Settings shared by every Heed SDK. Each SDK validates them once, when the client is created. */
export interface CoreSettings {
  /** Write key of the source (in the body from browsers; sdk-node sends `Authorization: Bearer`). Required. */
  writeKey: string;
  /** Base URL of the collector, e.g. `https://heed.example.com`. Required. */
  host: string;
  /** Send as soon as this many events are queued. Default 20. */
  flushAt?: number;
  /** Send queued events at least this often, in ms. Default 5,000. */
  flushInterval?: number;
  /** Most events in one request. Default 100 (the collector accepts up to 1,000). */
  maxBatchSize?: number;
  /** Most bytes in one request body. Default and maximum 500 KB (`MAX_BATCH_BYTES`). */
  maxBatchBytes?: number;
  /** Most events kept waiting for delivery; beyond it the oldest are dropped (`queue_full`). Default 1,000. */
  maxQueueSize?: number;
  /** Attempts per event before it is dropped (reason `retries_exhausted`). Default 10. */
  maxRetries?: number;
  /** First retry delay bound, in ms; doubles each attempt (full jitter). Default 500. */
  retryBaseMs?: number;
  /** Upper bound of a retry delay, in ms (Retry-After is honoured up to 10 minutes). Default 30,000. */
  retryCapMs?: number;
  /** A request that takes longer than this, in ms, counts as a network error. Default 10,000. */
  timeoutMs?: number;
  /**
   * How long a claimed batch stays invisible to other tabs or processes, in ms; must be longer than
   * `timeoutMs`. Default 30,000.
   */
  leaseMs?: number;
  /** Edit an event before it is queued, or return null to drop it. Default: none. */
  beforeSend?: (event: HeedEvent) => HeedEvent | null | undefined;
  /** Share of users (by userId or anonymousId) whose events are kept, 0..1. Default 1. */
  sampleRate?: number;
  /**
   * Opted out: events are dropped (reason `opted_out`) instead of queued while this is true. Read at
   * every event, so a client may change it on its resolved settings (the browser's optOut/optIn do). Default false.
   */
  optedOut?: boolean;
  /** HTTP function used to send. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Where queued events wait. Default: in memory. */
  storage?: QueueStorage;
  /** Compresses request bodies (sent with `Content-Encoding: gzip`). Default: none. */
  compress?: Compress;
  /** Sends a body while the page unloads (sendBeacon). Default: none. */
  beacon?: SendBeacon;
  /** Checks an event before it is queued; errors drop it (reason `invalid`). Default: size check only. */
  validate?: (event: HeedEvent) => FieldError[];
}

type Optional = 'beforeSend' | 'compress' | 'beacon' | 'validate' | 'optedOut';
export type ResolvedSettings = Required<Omit<CoreSettings, Optional>> & Pick<CoreSettings, Optional>;

/** Defaults of the numeric settings. */
const DEFAULTS = {
  flushAt: 20,
  flushInterval: 5_000,
  maxBatchSize: 100,
  maxBatchBytes: MAX_BATCH_BYTES,
  maxQueueSize: 1_000,
  maxRetries: 10,
  retryBaseMs: 500,
  retryCapMs: 30_000,
  timeoutMs: 10_000,
  leaseMs: 30_000,
  sampleRate: 1,
};

/** [min, max] of each numeric setting. */
const BOUNDS: Record<keyof typeof DEFAULTS, [number, number]> = {
  flushAt: [1, MAX_BATCH_EVENTS],
  flushInterval: [0, 3_600_000],
  maxBatchSize: [1, MAX_BATCH_EVENTS],
  maxBatchBytes: [1024, MAX_BATCH_BYTES],
  maxQueueSize: [1, 1e7],
  maxRetries: [0, 1_000],
  retryBaseMs: [1, 3_600_000],
  retryCapMs: [1, 3_600_000],
  timeoutMs: [1, 600_000],
  leaseMs: [1, 3_600_000],
  sampleRate: [0, 1],
};

/** Throws ValidationError(field, message) unless `ok`. */
export function check(ok: unknown, field: string, message = 'is invalid'): void {
  if (!ok) throw new ValidationError(field, message);
}

/**
 * Checks settings a developer wrote; throws ValidationError naming the first wrong one. The SDKs'
 * `createHeed` call it. The browser's `<script>` build does not carry it (it counts against a
 * 3.5 KB budget): its settings come from the line `loaderSnippet()` prints, which checks them.
 */
export function validateSettings(s: CoreSettings): void {
  check(typeof s?.writeKey === 'string' && s.writeKey.trim(), 'writeKey');
  check(/^https?:\/\/[^/]/.test(s.host), 'host'); // an http(s) URL
  const v = resolveSettings(s);
  for (const [k, [min, max]] of Object.entries(BOUNDS)) {
    const n = v[k as keyof typeof BOUNDS];
    check(typeof n === 'number' && n >= min && n <= max, k, `not in ${min}..${max}`);
  }
  // A lease that ends while its request may still be running would let another tab send the batch too.
  check(v.leaseMs > v.timeoutMs, 'leaseMs', 'must exceed timeoutMs');
  check(typeof v.fetch === 'function', 'fetch'); // the other seams are functions by their types
}

/** Applies the defaults (no checks: see validateSettings). */
export function resolveSettings(s: CoreSettings): ResolvedSettings {
  const out = { ...s, host: s.host?.replace(/\/+$/, '') } as ResolvedSettings & Record<string, unknown>;
  out.fetch ??= (globalThis as { fetch?: FetchLike }).fetch!;
  out.storage ??= memoryStorage();
  for (const k in DEFAULTS) out[k] ??= DEFAULTS[k as keyof typeof DEFAULTS];
  return out;
}
