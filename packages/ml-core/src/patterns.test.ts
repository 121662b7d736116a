import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectPatterns, type PatternInteraction } from './patterns.js';

const now = new Date('2026-03-31T12:00:00Z');
const DAY = 86_400_000;
const CHANNELS = ['web', 'mobile', 'email', 'chat', 'phone'];
const at = (daysAgo: number, hour = 12) => {
  const d = new Date(now.getTime() - daysAgo * DAY);
  d.setUTCHours(hour, 0, 0, 0);
  return d;
};

const sentimentArb = fc.option(
  fc
    .float({ min: 0, max: 1, noNaN: true })
    .map((p) => ({ label: 'neutral' as const, positive: p, negative: 1 - p })),
  { nil: null },
);
const interactionArb = (minDaysAgo: number, maxDaysAgo: number) =>
  fc.record({
    timestamp: fc
      .integer({ min: minDaysAgo * DAY, max: maxDaysAgo * DAY })
      .map((ms) => new Date(now.getTime() - ms)),
    channel: fc.constantFrom(...CHANNELS),
    sentiment: sentimentArb,
  });

describe('detectPatterns invariants', () => {
  it('returns nothing with fewer than 5 interactions in the last 30 days, whatever happened before', () => {
    fc.assert(
      fc.property(
        fc.array(interactionArb(0, 29.9), { maxLength: 4 }),
        fc.array(interactionArb(31, 400), { maxLength: 50 }),
        (recent, old) => {
          expect(detectPatterns([...recent, ...old], { now })).toEqual([]);
        },
      ),
    );
  });

  it('only returns patterns with confidence in [0.7, 1], frequency > 0, sorted by confidence', () => {
    fc.assert(
      fc.property(fc.array(interactionArb(0, 45), { minLength: 5, maxLength: 120 }), (items) => {
        const inWindow = items.filter((i) => i.timestamp.getTime() >= now.getTime() - 30 * DAY).length;
        const patterns = detectPatterns(items, { now });
        for (const p of patterns) {
          expect(p.confidence).toBeGreaterThanOrEqual(0.7);
          expect(p.confidence).toBeLessThanOrEqual(1);
          expect(Number.isInteger(p.frequency)).toBe(true);
          expect(p.frequency).toBeGreaterThan(0);
          expect(p.frequency).toBeLessThanOrEqual(inWindow);
          expect(p.description.length).toBeGreaterThan(0);
        }
        for (let i = 1; i < patterns.length; i++) {
          expect(patterns[i - 1]!.confidence).toBeGreaterThanOrEqual(patterns[i]!.confidence);
        }
      }),
    );
  });

  it('does not depend on the order of the input', () => {
    fc.assert(
      fc.property(fc.array(interactionArb(0, 29), { minLength: 5, maxLength: 40 }), (items) => {
        expect(detectPatterns([...items].reverse(), { now })).toEqual(detectPatterns(items, { now }));
      }),
      { numRuns: 50 },
    );
  });
});

describe('detectPatterns examples', () => {
  it('finds a channel preference', () => {
    const items: PatternInteraction[] = Array.from({ length: 10 }, (_, i) => ({
      timestamp: at(i * 2),
      channel: i < 8 ? 'chat' : 'email',
    }));
    const pattern = detectPatterns(items, { now }).find((p) => p.patternType === 'channel_preference');
    expect(pattern).toMatchObject({ confidence: 0.8, frequency: 8, metadata: { channel: 'chat' } });
    expect(pattern!.description).toContain('chat');
  });

  it('finds declining sentiment', () => {
    const items: PatternInteraction[] = Array.from({ length: 10 }, (_, i) => {
      const p = 0.95 - i * 0.1; // from clearly positive (oldest) to clearly negative (newest)
      return {
        timestamp: at(27 - i * 3),
        channel: 'email',
        sentiment: { label: 'neutral', positive: p, negative: 1 - p },
      };
    });
    const trend = detectPatterns(items, { now }).find((p) => p.patternType === 'sentiment_trend');
    expect(trend?.metadata.direction).toBe('declining');
    expect(trend!.confidence).toBeGreaterThan(0.9);
  });

  it('finds an evening habit', () => {
    const items = Array.from({ length: 6 }, (_, i) => ({
      timestamp: at(i * 4 + 1, 21),
      channel: i % 2 ? 'web' : 'mobile',
    }));
    const temporal = detectPatterns(items, { now }).filter((p) => p.patternType === 'temporal');
    expect(temporal.map((p) => p.metadata.daypart)).toContain('evening');
  });

  it('ignores interactions after `now` and unparseable timestamps', () => {
    const items = [
      ...Array.from({ length: 4 }, (_, i) => ({ timestamp: at(i), channel: 'web' })),
      { timestamp: new Date(now.getTime() + DAY), channel: 'web' },
      { timestamp: 'not a date', channel: 'web' },
    ];
    expect(detectPatterns(items, { now })).toEqual([]);
  });
});
