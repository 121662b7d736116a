import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './buffer.js';
import type { SequencedEvent } from './hub.js';

const ev = (...ids: number[]): SequencedEvent[] =>
  ids.map((id) => ({ id, type: 'interaction.created', data: { id } }));
const ids = (r: ReturnType<ReplayBuffer['since']>) =>
  r.kind === 'replay' ? r.events.map((e) => e.id) : r.kind;

describe('ReplayBuffer with shared, contiguous ids (several instances)', () => {
  it('replays after a known id, and asks for a resync before what it has seen or past what it holds', () => {
    const b = new ReplayBuffer(3, true, undefined);
    expect(ids(b.since('o', 5))).toBe('resync'); // nothing seen yet: unknown
    b.append('o', ev(10, 11, 12));
    expect(ids(b.since('o', 9))).toEqual([10, 11, 12]);
    expect(ids(b.since('o', 11))).toEqual([12]);
    expect(ids(b.since('o', 12))).toEqual([]);
    expect(ids(b.since('o', 8))).toBe('resync');
    expect(ids(b.since('o', 13))).toBe('resync');
    b.append('o', ev(13));
    expect(ids(b.since('o', 9))).toBe('resync'); // 10 was evicted (buffer of 3)
    expect(ids(b.since('o', 10))).toEqual([11, 12, 13]);
  });

  it('detects a skipped id as a gap and drops duplicates', () => {
    const b = new ReplayBuffer(100, true, undefined);
    b.append('o', ev(1, 2));
    expect(b.append('o', ev(2, 3)).fresh.map((e) => e.id)).toEqual([3]);
    const r = b.append('o', ev(7));
    expect(r.gap).toBe(true);
    expect(ids(b.since('o', 3))).toBe('resync');
    expect(ids(b.since('o', 6))).toEqual([7]);
  });
});

describe('ReplayBuffer with local ids (one process)', () => {
  it('knows every id since the process started, per organization', () => {
    const b = new ReplayBuffer(100, false, 1000);
    b.append('a', ev(1001, 1003));
    b.append('b', ev(1002));
    expect(ids(b.since('a', 1000))).toEqual([1001, 1003]);
    expect(ids(b.since('a', 1001))).toEqual([1003]);
    expect(ids(b.since('c', 1000))).toEqual([]);
    expect(ids(b.since('a', 999))).toBe('resync'); // from before a restart
  });
});
