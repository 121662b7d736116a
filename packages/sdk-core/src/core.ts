import type { FieldError, HeedEvent } from '@heed/protocol';
import { LIMITS, utf8Length } from '@heed/protocol';
import { backoffDelay } from './backoff.js';
import { batchBody, type Outcome, postBatch } from './delivery.js';
import type { CoreEvents, DropReason, Listener } from './events.js';
import { type CoreSettings, type ResolvedSettings, resolveSettings } from './settings.js';
import type { QueueEntry } from './storage.js';
import { cancel, later } from './timers.js';

/** Bytes of the request envelope around the events: `{"batch":[...],"sentAt":"...","writeKey":"..."}`. */
const envelopeBytes = (writeKey: string) => 80 + utf8Length(writeKey);

/** FNV-1a: a stable hash so sampling keeps or leaves out all of one user's events. */
function hash01(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 2 ** 32;
}

/**
 * The platform-free engine behind both SDKs: it queues, batches, sends, retries and reports.
 * No method throws; problems are emitted as `error` and `dropped` events.
 */
export class Core {
  readonly settings: ResolvedSettings;
  #listeners = new Map<keyof CoreEvents, Set<(payload: never) => void>>();
  /** Events this client queued or claimed that are not settled yet: what an unload send covers. */
  #unsent = new Map<string, QueueEntry>();
  #timer: unknown;
  #timerAt = 0;
  #draining: Promise<void> | null = null;
  #dirty = false;
  #queued = 0;
  #stopped = false;
  #optedOut: boolean;
  #waiters: Array<() => void> = [];
  #gate: Promise<unknown> = Promise.resolve();

  /** Throws ValidationError when a setting is wrong: the only time the SDK throws. */
  constructor(settings: CoreSettings) {
    this.settings = resolveSettings(settings);
    this.#optedOut = this.settings.optedOut;
  }

  /** Listens to `delivered`, `dropped` and `error`; returns an unsubscribe function. */
  on<K extends keyof CoreEvents>(type: K, fn: Listener<K>): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set);
    set.add(fn);
    return () => set.delete(fn);
  }

  /** A listener that throws does not stop the others or the SDK. */
  #emit<K extends keyof CoreEvents>(type: K, payload: CoreEvents[K]): void {
    for (const fn of (this.#listeners.get(type) ?? []) as Set<Listener<K>>) {
      try {
        fn(payload);
      } catch {
        // the host's listener failed: its problem, not delivery's
      }
    }
  }

  /** Stops queueing new events (they are dropped with reason `opted_out`). */
  optOut(): void {
    this.#optedOut = true;
  }

  optIn(): void {
    this.#optedOut = false;
  }

  /** Stops the timer and all sending for good (see `shutdown` to deliver first). */
  close(): void {
    this.#stopped = true;
    cancel(this.#timer);
  }

  /** True after close(), or after a 401/403 (or another 4xx retrying cannot fix): this client sends nothing more. */
  get stopped(): boolean {
    return this.#stopped;
  }

  #drop(reason: DropReason, entries: { id: string }[], details?: FieldError[]): void {
    if (entries.length === 0) return;
    for (const e of entries) this.#unsent.delete(e.id);
    this.#emit('dropped', {
      reason,
      count: entries.length,
      messageIds: entries.map((e) => e.id),
      details,
    });
  }

  #fail(code: CoreEvents['error']['code'], e: unknown, status?: number): void {
    this.#emit('error', { code, message: e instanceof Error ? e.message : String(e), status });
  }

  /**
   * Applies consent, sampling, beforeSend and validation, then queues the event.
   * Resolves once it is stored or dropped (with `backpressure`, once there is room); never rejects.
   */
  async enqueue(input: HeedEvent): Promise<void> {
    const s = this.settings;
    const ref = [{ id: input.messageId }];
    if (this.#optedOut) return this.#drop('opted_out', ref);
    try {
      let event: HeedEvent | null | undefined = s.context
        ? { ...input, context: { ...s.context(), ...input.context } }
        : input;
      const who = event.userId ?? event.anonymousId ?? '';
      if (s.sampleRate < 1 && hash01(who) >= s.sampleRate) return this.#drop('sampled', ref);
      if (s.beforeSend) {
        try {
          event = s.beforeSend(event);
        } catch (e) {
          this.#fail('hook', e);
        }
        if (!event) return this.#drop('before_send', ref);
      }
      const bytes = utf8Length(JSON.stringify(event));
      if (bytes > LIMITS.maxEventBytes)
        return this.#drop('too_large', ref, [
          { field: '', message: `event is ${bytes} bytes; the limit is ${LIMITS.maxEventBytes}` },
        ]);
      const errors = s.validate?.(event) ?? [];
      if (errors.length > 0) return this.#drop('invalid', [{ id: event.messageId }], errors);
      const entry: QueueEntry = { id: event.messageId, event, bytes, attempts: 0, until: 0 };
      // Known to the unload path at once, before any await: a page may go away right after track().
      this.#unsent.set(entry.id, entry);
      // One store at a time, in call order: with backpressure, each waits for its own room.
      const store = async () => {
        if (s.overflow === 'backpressure') await this.#waitForRoom();
        return s.storage.add([entry], s.maxQueueSize);
      };
      const stored = this.#gate.then(store, store);
      this.#gate = stored;
      const evicted = await stored;
      this.#drop('queue_full', evicted);
      this.#dirty = true;
      if (++this.#queued >= s.flushAt) void this.#kick();
      else this.#schedule(Date.now() + s.flushInterval);
    } catch (e) {
      this.#fail('storage', e);
    }
  }

  async #waitForRoom(): Promise<void> {
    while ((await this.settings.storage.stats()).size >= this.settings.maxQueueSize) {
      void this.#kick();
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        later(resolve, 100); // re-check: room may come from another client sharing the storage
      });
    }
  }

  #schedule(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    cancel(this.#timer);
    this.#timerAt = at;
    this.#timer = later(
      () => {
        this.#timer = undefined;
        void this.#kick();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /**
   * Sends everything tracked before this call that can be sent now. Resolves when done, or when
   * the rest waits for a retry.
   */
  flush(): Promise<void> {
    return this.#gate.catch(() => {}).then(() => this.#kick()); // calls made before flush() are stored first
  }

  #kick(): Promise<void> {
    this.#dirty = true;
    this.#draining ??= (async () => {
      while (this.#dirty) {
        this.#dirty = false;
        await this.#drain();
      }
      this.#draining = null; // in the same step as the last check: no kick can slip between
      void this.#reschedule();
    })();
    return this.#draining;
  }

  async #drain(): Promise<void> {
    const s = this.settings;
    this.#queued = 0;
    try {
      for (;;) {
        if (this.#stopped) return;
        const batch = await s.storage.claim({
          now: Date.now(),
          leaseMs: s.leaseMs,
          maxCount: s.maxBatchSize,
          maxBytes: s.maxBatchBytes - envelopeBytes(s.writeKey),
        });
        if (batch.length === 0) return;
        for (const e of batch) this.#unsent.set(e.id, e);
        if (!(await this.#deliver(batch))) return;
      }
    } catch (e) {
      this.#fail('storage', e);
    }
  }

  async #reschedule(): Promise<void> {
    try {
      const { size, nextAt } = await this.settings.storage.stats();
      if (size > 0 && !this.#stopped)
        this.#schedule(Math.max(nextAt ?? 0, Date.now() + (nextAt === 0 ? this.settings.flushInterval : 0)));
    } catch (e) {
      this.#fail('storage', e);
    }
  }

  async #settle(ids: string[]): Promise<void> {
    await this.settings.storage.remove(ids);
    for (const id of ids) this.#unsent.delete(id);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Sends one claimed batch and settles it; false when sending should pause. */
  async #deliver(batch: QueueEntry[]): Promise<boolean> {
    const s = this.settings;
    const out: Outcome = await postBatch(
      s,
      batch.map((e) => e.event),
    );
    const ids = batch.map((e) => e.id);
    switch (out.kind) {
      case 'done': {
        await this.#settle(ids);
        this.#drop(
          'rejected',
          batch.filter((_, i) => out.rejected.has(i)),
          [...new Set([...out.rejected.values()].flat())],
        );
        const good = ids.filter((_, i) => !out.rejected.has(i));
        if (good.length > 0)
          this.#emit('delivered', {
            count: good.length,
            duplicates: out.duplicates,
            messageIds: good,
          });
        return true;
      }
      case 'too_large': {
        if (batch.length === 1) {
          await this.#settle(ids);
          this.#drop('too_large', batch);
          return true;
        }
        const half = Math.ceil(batch.length / 2);
        const rest = batch.slice(half);
        if (await this.#deliver(batch.slice(0, half))) return this.#deliver(rest);
        await s.storage.release(rest.map((e) => ({ ...e, until: 0 })));
        return false;
      }
      case 'stop':
        this.#stopped = true;
        await s.storage.release(batch.map((e) => ({ ...e, until: 0 })));
        this.#fail('unauthorized', out.message, out.status);
        return false;
      case 'retry': {
        this.#fail(out.status === undefined ? 'network' : 'http', out.message, out.status);
        const now = Date.now();
        const retry: QueueEntry[] = [];
        const exhausted: QueueEntry[] = [];
        for (const e of batch) {
          const attempts = e.attempts + 1;
          if (attempts > s.maxRetries) exhausted.push(e);
          else {
            const wait = out.retryAfterMs ?? backoffDelay(attempts, s.retryBaseMs, s.retryCapMs);
            retry.push({ ...e, attempts, until: now + Math.max(1, wait) });
          }
        }
        await s.storage.release(retry);
        if (exhausted.length > 0) {
          await this.#settle(exhausted.map((e) => e.id));
          this.#drop('retries_exhausted', exhausted);
        }
        return false;
      }
    }
  }

  /**
   * For page unload: hands this client's unsent events (oldest first, within the 64 KB keepalive
   * budget) to the `beacon` seam, synchronously. They stay queued: if the beacon never arrives they
   * are sent again later, and the collector drops the copy by messageId.
   */
  flushOnUnload(): void {
    const s = this.settings;
    if (!s.beacon || this.#stopped || this.#unsent.size === 0) return;
    try {
      const batch: HeedEvent[] = [];
      let bytes = envelopeBytes(s.writeKey);
      for (const e of this.#unsent.values()) {
        if (bytes + e.bytes + 1 > LIMITS.maxKeepaliveBytes) break;
        bytes += e.bytes + 1;
        batch.push(e.event);
      }
      if (batch.length > 0) s.beacon(`${s.host}/v1/batch`, batchBody(batch, s.writeKey));
    } catch (e) {
      this.#fail('network', e);
    }
  }
}
