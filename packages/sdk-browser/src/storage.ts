import type { ListEditor, QueueEntry, QueueStorage } from '@heed/sdk-core';
import { ListStorage, MemoryStorage } from '@heed/sdk-core';

const done = <T>(r: IDBRequest<T> | IDBTransaction): Promise<T> =>
  new Promise((resolve, reject) => {
    (r as IDBRequest<T>).onsuccess = (r as IDBTransaction).oncomplete = () =>
      resolve((r as IDBRequest<T>).result);
    r.onerror = () => reject(r.error);
  });

/**
 * The queue as one IndexedDB record, read and written in one readwrite transaction. IndexedDB
 * runs such transactions one at a time across every tab of the origin, so two tabs never claim
 * the same event.
 */
export function idbEditor(name: string): { ready: Promise<unknown>; edit: ListEditor } {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore('q');
  const db = done(open);
  return {
    ready: db,
    edit: async (fn) => {
      const t = (await db).transaction('q', 'readwrite');
      const store = t.objectStore('q');
      const list = ((await done(store.get(0))) as QueueEntry[] | undefined) ?? [];
      const result = fn(list);
      store.put(list, 0);
      await done(t);
      return result;
    },
  };
}

/** The queue in localStorage: read, changed and written back synchronously, within one task. */
export function localEditor(key: string): ListEditor {
  return async (fn) => {
    const list: QueueEntry[] = JSON.parse(localStorage.getItem(key) ?? '[]');
    const result = fn(list);
    localStorage.setItem(key, JSON.stringify(list));
    return result;
  };
}

/** The page's queue: IndexedDB when it opens, else localStorage, else memory. */
export function browserStorage(name: string): QueueStorage {
  const chosen = (async (): Promise<ListEditor> => {
    try {
      const idb = idbEditor(name);
      await idb.ready;
      return idb.edit;
    } catch {
      try {
        localStorage.getItem(name);
        return localEditor(name);
      } catch {
        const memory = new MemoryStorage();
        return (memory as unknown as { edit: ListEditor }).edit;
      }
    }
  })();
  return new ListStorage(async (fn) => (await chosen)(fn));
}
