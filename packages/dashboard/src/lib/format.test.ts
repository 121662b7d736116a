import { expect, it } from 'vitest';
import { filterQuery, formatScore, labelOf, truncate } from './format.js';

it('turns the filters into /api/insights parameters', () => {
  const now = Date.parse('2026-01-08T00:00:00Z');
  expect(filterQuery({ range: '7d', channel: 'chat', segment: 'pro', sentiment: 'negative' }, now)).toEqual({
    from: '2026-01-01T00:00:00.000Z',
    channels: 'chat',
    segments: 'pro',
    maxSentiment: '-0.2',
  });
  expect(filterQuery({ range: '24h', channel: '', segment: '', sentiment: 'neutral' }, now)).toMatchObject({
    channels: undefined,
    minSentiment: '-0.2',
    maxSentiment: '0.2',
  });
});

it('formats scores and labels them', () => {
  expect(formatScore(0.456)).toBe('+0.46');
  expect(formatScore(null)).toBe('–');
  expect([0.5, 0.1, -0.5, null].map(labelOf)).toEqual(['positive', 'neutral', 'negative', 'unscored']);
  expect(truncate('abcdef', 4)).toBe('abc…');
});
