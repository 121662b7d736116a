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
  it('encodes the timestamp in the first 48 bits', () => {
    const id = uuidv7(Date.parse('2026-01-01T00:00:00Z') + 10_000);
    const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(Date.parse('2026-01-01T00:00:00Z'));
  });
});
