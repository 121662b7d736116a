import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './uuid.js';

describe('uuidv7', () => {
  it('produces valid, version-7, time-ordered ids', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7());
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('stays monotonic within one millisecond, past the counter wrapping, with RFC 9562 variant bits', () => {
    const ms = Date.parse('2027-01-01T00:00:00Z');
    const ids = Array.from({ length: 5000 }, () => uuidv7(ms)); // more than the 12-bit counter holds
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id[19]).toMatch(/[89ab]/);
    expect(ids[0]!.slice(0, 13)).toBe(
      `${ms.toString(16).padStart(12, '0').slice(0, 8)}-${ms.toString(16).padStart(12, '0').slice(8)}`,
    );
    expect(ids.at(-1)!.slice(0, 13)).not.toBe(ids[0]!.slice(0, 13)); // the clock part moved on when it wrapped
  });
  it('encodes the timestamp in the first 48 bits', () => {
    const id = uuidv7(Date.parse('2026-01-01T00:00:00Z') + 10_000);
    const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(Date.parse('2026-01-01T00:00:00Z'));
  });
});
