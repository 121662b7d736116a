import { describe, expect, it } from 'vitest';
import { detectSeriesAnomalies, type SeriesPoint } from './anomalies.js';
import { detectWeekOverWeek } from './week-over-week.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = Date.UTC(2026, 0, 5);

/** Deterministic pseudo-noise in [-1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 3.7) * 0.5;

function dailyVolume(days: number, spikeAt?: number, spike = 0): SeriesPoint[] {
  return Array.from({ length: days }, (_, i) => ({
    time: t0 + i * DAY,
    value: Math.round(100 + 8 * noise(i) + (i === spikeAt ? spike : 0)),
  }));
}

describe('detectSeriesAnomalies', () => {
  it('reports nothing on an ordinary noisy series', () => {
    expect(detectSeriesAnomalies(dailyVolume(60), { metric: 'volume', granularity: 'day' })).toEqual([]);
  });

  it('flags a volume spike with severity and a plain-language description', () => {
    const [a, ...rest] = detectSeriesAnomalies(dailyVolume(40, 35, 120), {
      metric: 'volume',
      granularity: 'day',
      scope: 'chat',
    });
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      metric: 'volume',
      direction: 'spike',
      granularity: 'day',
      time: new Date(t0 + 35 * DAY).toISOString(),
    });
    expect(a!.severity).toBe('critical');
    expect(a!.description).toMatch(/Unusually many interactions for chat .* typically 10\d interactions/);
  });

  it('grades severity by how far past the threshold a point is', () => {
    const mild = detectSeriesAnomalies(dailyVolume(40, 35, 45), {
      metric: 'volume',
      granularity: 'day',
      evaluateLast: 5,
    });
    const wild = detectSeriesAnomalies(dailyVolume(40, 35, 300), {
      metric: 'volume',
      granularity: 'day',
      evaluateLast: 5,
    });
    const order = ['low', 'medium', 'high', 'critical'];
    expect(mild).toHaveLength(1);
    expect(order.indexOf(mild[0]!.severity)).toBeLessThan(order.indexOf(wild[0]!.severity));
  });

  it('does not report the normal night-time dip of an hourly series', () => {
    const points = Array.from({ length: 24 * 14 }, (_, i) => {
      const hour = i % 24;
      return { time: t0 + i * HOUR, value: Math.round((hour < 7 ? 5 : 60) + 3 * noise(i)) };
    });
    expect(detectSeriesAnomalies(points, { metric: 'volume', granularity: 'hour' })).toEqual([]);
  });

  it('flags a drop in mean sentiment and skips buckets with too few texts', () => {
    const points = Array.from({ length: 30 }, (_, i) => ({
      time: t0 + i * DAY,
      value: 0.3 + 0.05 * noise(i),
      count: 40,
    }));
    points[25] = { time: t0 + 25 * DAY, value: -0.4, count: 40 };
    points[27] = { time: t0 + 27 * DAY, value: -0.9, count: 2 };
    const found = detectSeriesAnomalies(points, { metric: 'sentiment', granularity: 'day' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ direction: 'drop', value: -0.4 });
    expect(found[0]!.description).toContain('Unusually negative');
  });

  it('ignores small absolute changes on a flat series', () => {
    const points = Array.from({ length: 20 }, (_, i) => ({ time: t0 + i * DAY, value: i === 19 ? 2 : 0 }));
    expect(detectSeriesAnomalies(points, { metric: 'volume', granularity: 'day' })).toEqual([]);
    points[19] = { time: t0 + 19 * DAY, value: 25 };
    expect(detectSeriesAnomalies(points, { metric: 'volume', granularity: 'day' })[0]?.severity).toBe(
      'critical',
    );
  });

  it('needs a baseline before judging', () => {
    expect(detectSeriesAnomalies(dailyVolume(5, 4, 500), { metric: 'volume', granularity: 'day' })).toEqual(
      [],
    );
  });
});

describe('detectWeekOverWeek', () => {
  const week = (weekStart: number, interactions: number, negative: number, meanSentiment?: number) => ({
    weekStart,
    interactions,
    negative,
    meanSentiment,
  });

  it('reports a negative share up more than 30%', () => {
    const [a] = detectWeekOverWeek(week(t0, 200, 20), week(t0 + 7 * DAY, 200, 40), {
      scope: 'segment enterprise',
    });
    expect(a).toMatchObject({
      metric: 'negative_share',
      method: 'week_over_week',
      expected: 0.1,
      value: 0.2,
    });
    expect(a!.description).toBe(
      'Negative messages for segment enterprise rose from 10% to 20% of scored interactions this week (+100% week over week).',
    );
    expect(a!.severity).toBe('high');
  });

  it('stays quiet below the rule thresholds or with too little data', () => {
    expect(detectWeekOverWeek(week(t0, 200, 20), week(t0 + 7 * DAY, 200, 25))).toEqual([]);
    expect(detectWeekOverWeek(week(t0, 10, 1), week(t0 + 7 * DAY, 10, 8))).toEqual([]);
  });

  it('reports volume collapses and sentiment falls', () => {
    const found = detectWeekOverWeek(week(t0, 400, 40, 0.3), week(t0 + 7 * DAY, 100, 10, 0.0));
    expect(found.map((a) => [a.metric, a.direction])).toEqual([
      ['volume', 'drop'],
      ['sentiment', 'drop'],
    ]);
    expect(found[0]!.description).toContain('fell from 400 last week to 100 this week (-75%)');
  });
});
