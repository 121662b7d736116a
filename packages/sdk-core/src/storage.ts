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

/**
 * Where queued events wait: runs `fn` on the whole stored list (oldest first) and writes the list
 * back, as one atomic step with respect to every other client sharing the store (other tabs, other
 * processes). Edits run in the order they were called: the core relies on it (an event stored
 * before a flush() is claimed by that flush). `fn` may change the list in place. That one step is
 * all a platform supplies (memory, localStorage, IndexedDB...): the core claims, leases and removes
 * entries inside it, which is what keeps two clients from sending one event.
 */
export type QueueStorage = <T>(fn: (list: QueueEntry[]) => T) => Promise<T>;

/** A queue in memory: the default, and what sdk-node uses. */
export const memoryStorage = (): QueueStorage => {
  const list: QueueEntry[] = [];
  return async (fn) => fn(list);
};
