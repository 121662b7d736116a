import type { BatchResponse, FieldError, HeedEvent } from '@heed/protocol';
import { MAX_EVENT_BYTES, MAX_KEEPALIVE_BYTES } from '@heed/protocol';
import { backoffDelay, parseRetryAfter } from './backoff.js';
import { batchBody } from './delivery.js';
import type { CoreEvents, DropReason, ErrorCode, Listener } from './events.js';
import { type CoreSettings, type ResolvedSettings, resolveSettings, validateSettings } from './settings.js';
import type { QueueEntry, QueueStorage } from './storage.js';
import { cancel, later, SCRIPT_BUILD } from './timers.js';

/** How many events wait, and when the next may be sent: 0 when one is free now, null when none wait. */
export interface QueueStats {
  size: number;
  nextAt: number | null;
}

/**
 * The platform-free engine behind both SDKs: it queues, batches, sends, retries and reports.
 * No method throws; problems are emitted as `error` and `dropped` events. The browser's `<script>`
 * build uses it alone; sdk-node uses the Core below, which adds what a server process needs.
 */
export interface Engine {
  /** Listens to `delivered`, `dropped` and `error`; returns an unsubscribe function. */
  on<K extends keyof CoreEvents>(type: K, fn: Listener<K>): () => void;
  /**
   * Applies consent, sampling, beforeSend and validation, then queues the event.
   * Resolves once it is stored or dropped; never rejects.
   */
  enqueue(event: HeedEvent): Promise<void>;
  /**
   * Sends everything tracked before this call that can be sent now. Resolves when done, or when
   * the rest waits for a retry.
   */
  flush(): Promise<void>;
  /**
   * For page unload: hands this client's unsent events (oldest first, within the 64 KB keepalive
   * budget) to the `beacon` seam, synchronously. They stay queued: if the beacon never arrives they
   * are sent again later, and the collector drops the copy by messageId.
   */
  flushOnUnload(): void;
}

/** The engine with what sdk-node adds on top: its settings, its state, queue stats and close(). */
export interface Core extends Engine {
  /** The settings with their defaults applied. */
  readonly settings: ResolvedSettings;
  /** True after close(), or after a 401/403 (or another 4xx retrying cannot fix): this client sends nothing more. */
  readonly stopped: boolean;
  /** The queue's size and next due time (the whole store, shared with other clients). */
  stats(): Promise<QueueStats>;
  /** Stops all sending for good (see `shutdown` to deliver first). */
  close(): void;
}

/** The engine's run state, shared with its owner: `stopped` is set by a 401/403, or by Core.close(). */
export interface RunState {
  stopped: boolean;
}

/** FNV-1a: a stable hash so sampling keeps or leaves out all of one user's events. */
function hash01(s: string): number {
  let h = 0x811c9dc5;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

/**
 * Web APIs that browsers and Node 20 both have (typed here: this package has no DOM/Node types):
 * `AbortSignal.timeout` (browsers since 2022) and TextEncoder.
 */
const { AbortSignal: Signal, TextEncoder: Encoder } = globalThis as unknown as {
  AbortSignal?: { timeout?(ms: number): unknown };
  TextEncoder: new () => { encode(s: string): Uint8Array };
};

/** UTF-8 size of a value's JSON text. */
const jsonBytes = (value: unknown): number => new Encoder().encode(JSON.stringify(value)).length;

/** Creates a Core. Throws ValidationError when a setting is wrong: the only time the SDK throws. */
export function createCore(settings: CoreSettings): Core {
  validateSettings(settings);
  const s = resolveSettings(settings);
  const run: RunState = { stopped: false };
  return {
    ...createEngine(s, run),
    settings: s,
    get stopped() {
      return run.stopped;
    },
    stats: () => queueStats(s.storage),
    close() {
      run.stopped = true; // a timer still pending finds nothing to do (and does not keep Node alive)
    },
  };
}

/** The size of a queue, and when its next entry may be sent (0: now; null: the queue is empty). */
const queueStats = (edit: QueueStorage) =>
  edit((list): QueueStats => {
    const next = list.reduce((m, e) => Math.min(m, e.until), list[0]?.until ?? 0);
    return { size: list.length, nextAt: list[0] ? (next > Date.now() ? next : 0) : null };
  });

/**
 * The engine, from resolved settings that were checked already (see validateSettings). `run` is
 * the caller's view of its state; the browser's script build leaves it out.
 */
export function createEngine(s: ResolvedSettings, run: RunState = { stopped: false }): Engine {
  // fetch is called detached: a browser's fetch refuses any other `this` than the window
  const { storage: edit, fetch: send } = s;
  /** Bytes of the request envelope around the events: `{"batch":[...],"sentAt":"...","writeKey":"..."}`. */
  const envelope = 78 + jsonBytes(s.writeKey);
  const url = `${s.host}/v1/batch`;
  /** Listeners by event type; one function added twice is called once. */
  const listeners: Partial<Record<keyof CoreEvents, Set<Listener<never>>>> = {};
  /** Events this client queued or claimed that are not settled yet: what an unload send covers. */
  const unsent = new Map<string, QueueEntry>();
  let timer: unknown;
  let timerAt = 0;
  let draining: Promise<void> | null = null;
  let dirty = false;
  let queued = 0;

  /** A listener that throws does not stop the others or the SDK. */
  const emit = <K extends keyof CoreEvents>(type: K, payload: CoreEvents[K]) => {
    for (const fn of listeners[type] ?? [])
      try {
        (fn as Listener<K>)(payload);
      } catch {
        // the host's listener failed: its problem, not delivery's
      }
  };

  const drop = (reason: DropReason, entries: { id: string }[], details?: FieldError[]) => {
    if (!entries[0]) return;
    const messageIds = entries.map((e) => e.id);
    for (const id of messageIds) unsent.delete(id);
    emit('dropped', { reason, count: entries.length, messageIds, details });
  };

  const fail = (code: ErrorCode, e: unknown, status?: number) =>
    emit('error', { code, message: `${(e as Error)?.message ?? e}`, status });

  /**
   * A filter for one request's entries, oldest first: true while the request (envelope included)
   * stays within `max` bytes. The total only grows, so once one entry does not fit, none after it
   * does: no later event jumps the queue.
   */
  const within = (max: number) => {
    let bytes = envelope;
    return (e: QueueEntry) => {
      bytes += e.bytes + 1;
      return bytes <= max;
    };
  };

  /**
   * When the queue needs a look again: the earliest `until` of the entries the last claim left
   * (leased by another client, waiting for a retry, or free but over one request's budget), lowered
   * by the retries and releases since. Infinity: nothing waits.
   */
  let wake = Infinity;

  /**
   * Leases the oldest free entries that fit one request (count and bytes) and returns copies.
   * An entry alone larger than the budget is still taken, alone, so it can be reported.
   */
  const claim = () =>
    edit((list) => {
      const now = Date.now();
      const batch: QueueEntry[] = [];
      const fits = within(s.maxBatchBytes);
      wake = Infinity;
      for (const e of list)
        if (e.until <= now && batch.length < s.maxBatchSize && (fits(e) || !batch[0])) {
          e.until = now + s.leaseMs;
          batch.push({ ...e });
        } else wake = Math.min(wake, e.until);
      return batch;
    });

  /**
   * Settles a claimed batch in one storage step: the entries in `keep` are written back (with
   * their new attempts and until), the others leave the queue, and this client's unsent list.
   */
  async function settle(batch: QueueEntry[], keep: QueueEntry[] = []): Promise<void> {
    const next = new Map<string, QueueEntry | false>(batch.map((e) => [e.id, keep.includes(e) && e]));
    // This client's unsent events as the settle is called: each was stored before this edit reads
    // the list (edits run in call order), so those not in it once settled were delivered or dropped,
    // here or by another tab, and leave the unsent list (a long-lived tab would otherwise keep them,
    // and send them again on unload).
    const gone = new Set(unsent.keys());
    await edit((list) => {
      let n = 0;
      for (const stored of list) {
        const e = next.get(stored.id) ?? stored;
        if (e) {
          list[n++] = e;
          gone.delete(e.id);
        }
      }
      list.length = n;
    });
    for (const id of gone) unsent.delete(id);
  }

  /** Puts claimed entries back, free to be claimed again at once. */
  const release = (entries: QueueEntry[]) => {
    wake = 0;
    for (const e of entries) e.until = 0;
    return settle(entries, entries);
  };

  function schedule(at: number): void {
    if (timer !== undefined && timerAt <= at) return;
    cancel(timer);
    timerAt = at;
    timer = later(
      () => {
        timer = undefined;
        void kick();
      },
      at - Date.now(), // a delay below 0 runs at once
    );
  }

  function kick(): Promise<void> {
    dirty = true;
    draining ??= (async () => {
      while (dirty) {
        dirty = false;
        await drain();
      }
      draining = null; // in the same step as the last check: no kick can slip between
      // Wake up again when the next retry or lease is due, or after flushInterval for events free now.
      if (wake < Infinity && !run.stopped) schedule(wake > Date.now() ? wake : Date.now() + s.flushInterval);
    })();
    return draining;
  }

  async function drain(): Promise<void> {
    queued = 0;
    try {
      while (!run.stopped) {
        const batch = await claim();
        if (!batch[0]) return;
        for (const e of batch) unsent.set(e.id, e);
        if (!(await deliver(batch))) return;
      }
    } catch (e) {
      wake = 0; // the queue could not be read or written: try again after flushInterval
      fail('storage', e);
    }
  }

  /** Sends one claimed batch and settles it per the status taxonomy; false when sending should pause. */
  async function deliver(batch: QueueEntry[]): Promise<boolean> {
    // POST it (gzipped when that pays). Status 0: a network error, or a timeout (the request is aborted).
    let status = 0;
    let body: Partial<BatchResponse> = {};
    let retryAfterMs: number | null = null;
    try {
      // Browsers (the clients that can beacon) send the write key in the body: a fetch without
      // headers is a CORS simple request (no preflight), and a beacon cannot carry any. Other
      // clients' fetch (sdk-node's) sends it as a Bearer header, which logs and proxies treat as a
      // secret.
      const data = batchBody(
        batch.map((e) => e.event),
        SCRIPT_BUILD || s.beacon ? s.writeKey : undefined,
      );
      const res = await send(url, {
        method: 'POST',
        body: (s.compress && data.length > 1024 && (await s.compress(data))) || data,
        signal: Signal?.timeout?.(s.timeoutMs),
      });
      status = res.status;
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      body = (await res.json()) ?? {};
    } catch (e) {
      // A body that is empty or not JSON leaves the status to decide alone.
      if (!status) body = { error: `${(e as Error)?.message ?? e}` };
    }
    const message = `${body.error ?? `HTTP ${status}`}`;
    // 408, 429, 5xx, network: retry each event after its backoff (or Retry-After), up to maxRetries.
    if (!status || status === 408 || status === 429 || status > 499) {
      fail(status ? 'http' : 'network', message, status); // status 0: no response
      // The claimed entries are this client's copies: they are updated, then written back.
      const left = batch.filter((e) => e.attempts < s.maxRetries);
      for (const e of left) {
        const delay = backoffDelay(++e.attempts, s.retryBaseMs, s.retryCapMs);
        e.until = Date.now() + Math.max(1, retryAfterMs ?? delay);
        wake = Math.min(wake, e.until);
      }
      await settle(batch, left);
      drop(
        'retries_exhausted',
        batch.filter((e) => !left.includes(e)),
      );
      return false;
    }
    // 413: split the batch; one event alone that is still too large is dropped.
    if (status === 413) {
      if (!batch[1]) {
        await settle(batch);
        drop('too_large', batch);
        return true;
      }
      const rest = batch.splice(Math.ceil(batch.length / 2));
      if (await deliver(batch)) return deliver(rest);
      await release(rest);
      return false;
    }
    // 401, 403, or another 4xx than 400: retrying cannot fix it; stop, keeping the events.
    if (status > 299 && status !== 400) {
      run.stopped = true;
      await release(batch);
      fail('unauthorized', message, status);
      return false;
    }
    // 2xx, or 400: the items with per-item details were rejected and the collector stored the
    // others. A 400 without any per-item detail rejects every item (retrying cannot help).
    await settle(batch);
    let bad: QueueEntry[] = [];
    if (status === 400) {
      const details = Array.isArray(body.details) ? body.details : [];
      const named = batch.filter((_, i) => details.some((d) => d?.index === i));
      bad = named[0] ? named : batch;
      drop('rejected', bad, details[0] ? details : [{ field: '', message }]);
    }
    const good = batch.filter((e) => !bad.includes(e)).map((e) => e.id);
    if (good[0])
      emit('delivered', { count: good.length, duplicates: body.duplicates ?? 0, messageIds: good });
    return true;
  }

  return {
    on(type, fn) {
      const set: Set<unknown> = listeners[type] ?? new Set();
      listeners[type] = set as Set<Listener<never>>;
      set.add(fn);
      return () => set.delete(fn);
    },
    async enqueue(input) {
      /** What a drop reports: the input's id, then the queue entry once it is built. */
      const ref: { id: string }[] = [{ id: input.messageId }];
      if (s.optedOut) return drop('opted_out', ref);
      try {
        let event: HeedEvent | null | undefined = input;
        if (hash01(`${event.userId ?? event.anonymousId}`) >= s.sampleRate) return drop('sampled', ref);
        if (s.beforeSend) {
          try {
            event = s.beforeSend(event);
          } catch (e) {
            fail('hook', e);
          }
          if (!event) return drop('before_send', ref);
        }
        const bytes = jsonBytes(event);
        const entry: QueueEntry = { id: event.messageId, event, bytes, attempts: 0, until: 0 };
        ref[0] = entry;
        if (bytes > MAX_EVENT_BYTES)
          return drop('too_large', ref, [{ field: '', message: `${bytes} bytes > ${MAX_EVENT_BYTES}` }]);
        if (!SCRIPT_BUILD) {
          // sdk-node checks every rule of the wire format (the script build leaves this seam out)
          const errors = s.validate?.(event) ?? [];
          if (errors.length > 0) return drop('invalid', ref, errors);
        }
        // Known to the unload path at once, before any await: a page may go away right after track().
        unsent.set(entry.id, entry);
        // One store at a time, in call order: appends, then drops the oldest beyond maxQueueSize
        // (a negative count removes nothing).
        drop(
          'queue_full',
          await edit((list) => {
            list.push(entry);
            return list.splice(0, list.length - s.maxQueueSize);
          }),
        );
        dirty = true;
        if (++queued >= s.flushAt) void kick();
        else schedule(Date.now() + s.flushInterval);
      } catch (e) {
        // not stored (the store refused the write, or the event is not JSON): reported, and
        // forgotten by the unload path too, which sends only what the queue holds
        fail('storage', e);
        drop('not_queued', ref);
      }
    },
    // calls made before flush() are stored first
    flush: kick,
    flushOnUnload() {
      if (run.stopped) return;
      try {
        const batch = [...unsent.values()].filter(within(MAX_KEEPALIVE_BYTES)).map((e) => e.event);
        if (batch[0]) s.beacon!(url, batchBody(batch, s.writeKey)); // only browsers call this
      } catch (e) {
        fail('network', e);
      }
    },
  };
}
