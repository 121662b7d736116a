import { describe, expect, it } from 'vitest';
import { MemoryStorage, type QueueEntry } from './storage.js';

const entry = (id: string, bytes = 10): QueueEntry => ({
  id,
  bytes,
  attempts: 0,
  until: 0,
  event: { type: 'track', messageId: id, timestamp: '2026-11-22T12:00:00Z', userId: 'u', event: 'e' },
});

describe('MemoryStorage', () => {
  it('a claimed entry is not claimed again until its lease ends', async () => {
    const s = new MemoryStorage();
    await s.add([entry('a'), entry('b')], 10);
    const first = await s.claim({ now: 1000, leaseMs: 500, maxCount: 1, maxBytes: 1000 });
    const second = await s.claim({ now: 1000, leaseMs: 500, maxCount: 10, maxBytes: 1000 });
    expect(first.map((e) => e.id)).toEqual(['a']);
    expect(second.map((e) => e.id)).toEqual(['b']);
    expect(await s.claim({ now: 1499, leaseMs: 500, maxCount: 10, maxBytes: 1000 })).toEqual([]);
    expect(
      (await s.claim({ now: 1500, leaseMs: 500, maxCount: 10, maxBytes: 1000 })).map((e) => e.id),
    ).toEqual(['a', 'b']);
  });

  it('stays within the byte budget but lets a single oversized entry through alone', async () => {
    const s = new MemoryStorage();
    await s.add([entry('big', 5000), entry('a', 40), entry('b', 40), entry('c', 40)], 10);
    expect((await s.claim({ now: 0, leaseMs: 9, maxCount: 10, maxBytes: 100 })).map((e) => e.id)).toEqual([
      'big',
    ]);
    expect((await s.claim({ now: 0, leaseMs: 9, maxCount: 10, maxBytes: 100 })).map((e) => e.id)).toEqual([
      'a',
      'b',
    ]);
  });

  it('drops the oldest beyond the bound and returns them', async () => {
    const s = new MemoryStorage();
    await s.add([entry('a'), entry('b')], 3);
    const dropped = await s.add([entry('c'), entry('d')], 3);
    expect(dropped.map((e) => e.id)).toEqual(['a']);
    expect((await s.stats()).size).toBe(3);
  });
});
