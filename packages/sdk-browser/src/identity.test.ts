import { describe, expect, it } from 'vitest';
import { kv, loadUser, touchSession } from './identity.js';

// No localStorage in Node: kv keeps values in memory, as it does in a browser that refuses storage.
describe('identity', () => {
  it('keeps one anonymous id per visitor', () => {
    const store = kv('t1_');
    const first = loadUser(store);
    expect(loadUser(store).anonymousId).toBe(first.anonymousId);
    expect(loadUser(kv('t2_')).anonymousId).not.toBe(first.anonymousId);
  });

  it('starts a new session after 30 idle minutes, not before', () => {
    const store = kv('t3_');
    const t0 = Date.parse('2026-11-22T10:00:00Z');
    const idle = 30 * 60_000;
    const s1 = touchSession(store, idle, t0);
    expect(touchSession(store, idle, t0 + 29 * 60_000)).toBe(s1);
    expect(touchSession(store, idle, t0 + 58 * 60_000)).toBe(s1); // activity at 29 min kept it alive
    expect(touchSession(store, idle, t0 + 89 * 60_000)).not.toBe(s1);
  });

  it('reads back a value whose write localStorage refused (a full quota), not the older stored one', () => {
    const data: Record<string, string> = {};
    let full = false;
    const g = globalThis as { localStorage?: unknown };
    g.localStorage = new Proxy(data, {
      set(target, key, value) {
        if (full) throw new Error('QuotaExceededError');
        target[key as string] = String(value);
        return true;
      },
    });
    try {
      const store = kv('t4_');
      store.set('user', { anonymousId: 'a1' });
      expect(data.t4_user).toBe('{"anonymousId":"a1"}');
      full = true;
      store.set('user', { anonymousId: 'a1', userId: 'u1' });
      expect(store.get('user')).toEqual({ anonymousId: 'a1', userId: 'u1' });
      expect(store.get('missing')).toBeUndefined();
    } finally {
      delete g.localStorage;
    }
  });
});
