import { type JsonObject, uuidv7 } from '@heed/protocol';

/**
 * Small JSON values in localStorage; in memory where localStorage refuses (private modes, sandboxed
 * frames, a full quota), so the page keeps working.
 */
export function kv(prefix: string) {
  const mem: Record<string, unknown> = {};
  return {
    get<T>(k: string): T | undefined {
      try {
        return JSON.parse(localStorage[prefix + k]); // "null" is a value; a missing key throws
      } catch {
        return mem[k] as T;
      }
    },
    set(k: string, v: unknown): void {
      mem[k] = v;
      try {
        localStorage[prefix + k] = JSON.stringify(v);
      } catch {
        // the in-memory copy stands in
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
  let u = store.get<User>('user');
  if (!u?.anonymousId) {
    u = { anonymousId: uuidv7() };
    store.set('user', u);
  }
  return u;
}

/** Session id that changes after `idleMs` without events (30 minutes by default). */
export function touchSession(store: Kv, idleMs: number, now = Date.now()): string {
  const s = store.get<{ id: string; at: number }>('session');
  const id = s && now - s.at < idleMs ? s.id : uuidv7();
  store.set('session', { id, at: now });
  return id;
}
