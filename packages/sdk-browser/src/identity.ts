import { type JsonObject, uuidv7 } from '@heed/protocol';

/** Reads and writes small JSON values in localStorage; in memory when it is unavailable. */
export function kv(prefix: string) {
  const mem: Record<string, string> = {};
  return {
    get<T>(k: string): T | undefined {
      try {
        let v = mem[k];
        try {
          v = localStorage.getItem(prefix + k) ?? v;
        } catch {
          // storage refused: the in-memory copy stands in
        }
        return JSON.parse(v!);
      } catch {
        return undefined; // nothing stored, or not JSON
      }
    },
    set(k: string, v: unknown): void {
      mem[k] = JSON.stringify(v);
      try {
        localStorage.setItem(prefix + k, mem[k]);
      } catch {
        // private mode or quota: the in-memory copy keeps this page working
      }
    },
  };
}

export type Kv = ReturnType<typeof kv>;

export interface User {
  anonymousId: string;
  userId?: string;
  traits?: JsonObject;
}

/** The visitor: an anonymous id kept across visits, plus the userId and traits from identify. */
export function loadUser(store: Kv): User {
  const u = store.get<User>('user');
  if (u?.anonymousId) return u;
  const fresh = { anonymousId: uuidv7() };
  store.set('user', fresh);
  return fresh;
}

/** Session id that changes after `idleMs` without events (30 minutes by default). */
export function touchSession(store: Kv, idleMs: number, now = Date.now()): string {
  const s = store.get<{ id: string; at: number }>('session');
  const id = s && now - s.at < idleMs ? s.id : uuidv7();
  store.set('session', { id, at: now });
  return id;
}
