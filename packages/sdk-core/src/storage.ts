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
  for (const e of entries) {
    if (e.until > opts.now) continue;
    if (out.length >= opts.maxCount) break;
    if (out.length > 0 && bytes + e.bytes + 1 > opts.maxBytes) break;
    out.push(e);
    bytes += e.bytes + 1;
  }
  return out;
}

/** Earliest time an entry becomes free; 0 when one is free, null when empty. */
export function nextFree(entries: readonly QueueEntry[], now: number): number | null {
  let next: number | null = null;
  for (const e of entries) {
    const t = e.until > now ? e.until : 0;
    if (next === null || t < next) next = t;
  }
  return next;
}

/** In-memory storage: the default, and what sdk-node uses. */
export class MemoryStorage implements QueueStorage {
  private list: QueueEntry[] = [];

  async add(entries: QueueEntry[], maxSize: number): Promise<QueueEntry[]> {
    this.list.push(...entries.map((e) => ({ ...e })));
    const over = this.list.length - maxSize;
    return over > 0 ? this.list.splice(0, over) : [];
  }

  async claim(opts: ClaimOptions): Promise<QueueEntry[]> {
    const picked = pickBatch(this.list, opts);
    for (const e of picked) e.until = opts.now + opts.leaseMs;
    return picked.map((e) => ({ ...e }));
  }

  async release(entries: QueueEntry[]): Promise<void> {
    const byId = new Map(entries.map((e) => [e.id, e]));
    for (const e of this.list) {
      const r = byId.get(e.id);
      if (r) {
        e.attempts = r.attempts;
        e.until = r.until;
      }
    }
  }

  async remove(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    this.list = this.list.filter((e) => !gone.has(e.id));
  }

  async stats(): Promise<{ size: number; nextAt: number | null }> {
    return { size: this.list.length, nextAt: nextFree(this.list, Date.now()) };
  }
}
