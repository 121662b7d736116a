import type { HeedEvent } from '@heed/protocol';

/** One queued event. */
export interface QueueEntry {
  /** The event's messageId. */
  id: string;
  event: HeedEvent;
  /** Serialized size in bytes. */
  bytes: number;
  /** Failed delivery attempts so far. */
  attempts: number;
  /** Epoch ms before which no one may claim it (a lease, or a retry delay). 0 when free. */
  until: number;
}

export interface ClaimOptions {
  now: number;
  /** The claimed entries stay invisible to other claimers until now + leaseMs. */
  leaseMs: number;
  maxCount: number;
  /** Budget for the sum of `bytes + 1` of the claimed entries. */
  maxBytes: number;
}

/**
 * Where queued events wait. Each method must be atomic with respect to other clients sharing the
 * same store (other tabs, other processes): that is what keeps two of them from sending one event.
 */
export interface QueueStorage {
  /** Appends entries, then drops the oldest beyond maxSize and returns them. */
  add(entries: QueueEntry[], maxSize: number): Promise<QueueEntry[]>;
  /** Leases the oldest free entries that fit (see `pickBatch`). */
  claim(opts: ClaimOptions): Promise<QueueEntry[]>;
  /** Puts entries back with new `attempts` and `until` (a retry delay, or 0). */
  release(entries: QueueEntry[]): Promise<void>;
  /** Deletes entries for good (delivered or dropped). */
  remove(ids: string[]): Promise<void>;
  /** Number of entries, and the earliest `until` among them (0 when one is free now). */
  stats(): Promise<{ size: number; nextAt: number | null }>;
}

/**
 * Chooses which entries a claim takes: oldest first, free ones only, within the count and byte
 * budget. Storages call it inside their transaction. An entry alone larger than the budget is
 * still taken, alone, so it can be reported instead of blocking the queue.
 */
export function pickBatch(entries: readonly QueueEntry[], opts: ClaimOptions): QueueEntry[] {
  const out: QueueEntry[] = [];
  let bytes = 0;
  for (const e of entries)
    if (e.until <= opts.now) {
      bytes += e.bytes + 1;
      if (out.length >= opts.maxCount || (out.length > 0 && bytes > opts.maxBytes)) break;
      out.push(e);
    }
  return out;
}

/** Earliest time an entry becomes free; 0 when one is free, null when empty. */
export function nextFree(entries: readonly QueueEntry[], now: number): number | null {
  let next: number | null = null;
  for (const e of entries) next = Math.min(next ?? e.until, e.until > now ? e.until : 0);
  return next;
}

/**
 * Runs `fn` on the whole stored list and writes the list back, as one atomic step: that is the
 * only thing a platform has to supply to store the queue (memory, localStorage, IndexedDB...).
 * `fn` may change the list in place.
 */
export type ListEditor = <T>(fn: (list: QueueEntry[]) => T) => Promise<T>;

/** A QueueStorage over any ListEditor. */
export class ListStorage implements QueueStorage {
  constructor(private readonly edit: ListEditor) {}

  add(entries: QueueEntry[], maxSize: number): Promise<QueueEntry[]> {
    return this.edit((list) => {
      list.push(...entries);
      return list.splice(0, list.length - maxSize); // a negative count removes nothing
    });
  }

  claim(opts: ClaimOptions): Promise<QueueEntry[]> {
    return this.edit((list) =>
      pickBatch(list, opts).map((e) => {
        e.until = opts.now + opts.leaseMs;
        return { ...e };
      }),
    );
  }

  /** Copies `attempts` and `until` (and the rest, unchanged) onto the stored entries. */
  release(entries: QueueEntry[]): Promise<void> {
    const byId = new Map(entries.map((e) => [e.id, e]));
    return this.edit((list) => {
      for (const e of list) Object.assign(e, byId.get(e.id));
    });
  }

  remove(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    return this.edit((list) => {
      let n = 0;
      for (const e of list) if (!gone.has(e.id)) list[n++] = e;
      list.length = n;
    });
  }

  stats(): Promise<{ size: number; nextAt: number | null }> {
    return this.edit((list) => ({ size: list.length, nextAt: nextFree(list, Date.now()) }));
  }
}

/** An editor over a list in memory. */
export const memoryEditor = (): ListEditor => {
  const list: QueueEntry[] = [];
  return async (fn) => fn(list);
};

/** In-memory storage: the default, and what sdk-node uses. */
export class MemoryStorage extends ListStorage {
  constructor() {
    super(memoryEditor());
  }
}
