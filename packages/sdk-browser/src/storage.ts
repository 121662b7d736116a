import type { QueueEntry, QueueStorage } from '@heed/sdk-core';
import { kv } from './identity.js';

const done = <T>(r: IDBRequest<T> | IDBTransaction): Promise<T> =>
  new Promise((resolve, reject) => {
    (r as IDBRequest<T>).onsuccess = (r as IDBTransaction).oncomplete = () =>
      resolve((r as IDBRequest<T>).result);
    r.onerror = () => reject(r.error);
  });

/**
 * The queue as one IndexedDB record, read and written in one readwrite transaction. IndexedDB
 * runs such transactions one at a time across every tab of the origin, so two tabs never claim
 * the same event. Resolves once the database is open.
 */
export async function idbStorage(name: string): Promise<QueueStorage> {
  const open = indexedDB.open(name); // version 1 when it is created
  open.onupgradeneeded = () => open.result.createObjectStore('q');
  const db = await done(open);
  return async (fn) => {
    const t = db.transaction('q', 'readwrite');
    const store = t.objectStore('q');
    const list: QueueEntry[] = (await done(store.get(0))) ?? [];
    const result = fn(list);
    store.put(list, 0);
    await done(t);
    return result;
  };
}

/**
 * The queue in localStorage (read, changed and written back synchronously, within one task), or
 * in memory where localStorage refuses: the `kv` store falls back by itself.
 */
export const localStorageQueue = (key: string): QueueStorage => {
  const store = kv(key);
  return async (fn) => {
    const list: QueueEntry[] = store.get('') ?? [];
    const result = fn(list);
    store.set('', list);
    return result;
  };
};

/** The page's queue: IndexedDB when it opens, else localStorage, else memory. */
export function browserStorage(name: string): QueueStorage {
  const chosen = idbStorage(name).catch(() => localStorageQueue(name));
  return async (fn) => (await chosen)(fn);
}
