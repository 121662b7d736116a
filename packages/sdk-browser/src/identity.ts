import { type JsonObject, uuidv7 } from '@heed/protocol';

/**
 * Small JSON values in localStorage. A value whose write localStorage refused (private modes,
 * sandboxed frames, a full quota) is kept in memory and read from there, so the page keeps working
 * with what it last wrote instead of an older stored value.
 */
export function kv(prefix: string) {
  const mem: Record<string, unknown> = {};
  return {
    get<T>(k: string): T | undefined {
      try {
        // "null" is a value; a missing key throws (JSON.parse(undefined)) and reads as undefined
        return (k in mem ? mem[k] : JSON.parse(localStorage[prefix + k])) as T;
      } catch {}
    },
    set(k: string, v: unknown): void {
      try {
        localStorage[prefix + k] = JSON.stringify(v);
        delete mem[k];
      } catch {
        mem[k] = v;
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
