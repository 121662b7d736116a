import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultModelDir, loadSentimentModel } from './loader.js';
import type { SentimentModel, SentimentResult } from './model.js';

function expectWellFormed(r: SentimentResult): void {
  const { positive, negative, neutral } = r.scores;
  for (const s of [positive, negative, neutral]) {
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThanOrEqual(1);
  }
  expect(positive + negative + neutral).toBeCloseTo(1, 2);
  expect(r.confidence).toBe(Math.max(positive, negative, neutral));
  expect(r.scores[r.label]).toBe(r.confidence);
  expect(r.processingTimeMs).toBeGreaterThanOrEqual(0);
}

describe('bundled sentiment model', () => {
  let model: SentimentModel;
  beforeAll(async () => {
    model = await loadSentimentModel(defaultModelDir());
  });
  afterAll(() => model.close());

  it('has a name and version', () => {
    expect(model.name).toBe('heed-sentiment-hashed');
    expect(model.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('labels clear-cut customer messages correctly', async () => {
    const results = await model.predict([
      'I love this app, the support team was amazing. Thank you!',
      'Worst experience ever. The order never arrived and nobody answers my emails.',
      'My order number is 1234 and it ships on Monday.',
    ]);
    expect(results.map((r) => r.label)).toEqual(['positive', 'negative', 'neutral']);
    results.forEach(expectWellFormed);
  });

  it('handles negation', async () => {
    const [r] = await model.predict(['the new dashboard is not good at all']);
    expect(r!.label).toBe('negative');
  });

  it('scores a batch of 32 exactly as it scores texts one by one', async () => {
    const texts = Array.from({ length: 32 }, (_, i) =>
      i % 3 === 0
        ? `great job ${i}`
        : i % 3 === 1
          ? `terrible bug number ${i}, please fix this mess`
          : `ticket ${i} updated`,
    );
    const batch = await model.predict(texts);
    expect(batch).toHaveLength(32);
    batch.forEach(expectWellFormed);
    for (const i of [0, 1, 2, 31]) {
      const [single] = await model.predict([texts[i]!]);
      expect(single!.label).toBe(batch[i]!.label);
      expect(single!.scores.positive).toBeCloseTo(batch[i]!.scores.positive, 5);
    }
  });

  it('treats empty texts as neutral with full confidence and keeps result order', async () => {
    const results = await model.predict(['', 'awful', '   ']);
    expect(results.map((r) => r.label)).toEqual(['neutral', 'negative', 'neutral']);
    expect(results[0]!.confidence).toBe(1);
  });

  it('returns no results for no texts', async () => {
    expect(await model.predict([])).toEqual([]);
  });

  it('finishes a prediction already under way when closed', async () => {
    const other = await loadSentimentModel();
    const pending = other.predict(['what a lovely day']);
    await other.close();
    expect((await pending)[0]!.label).toBe('positive');
  });

  it('rejects predictions after close()', async () => {
    const other = await loadSentimentModel();
    await other.close();
    await expect(other.predict(['hi'])).rejects.toThrow(/closed/);
  });
});

describe('slow prediction warning', () => {
  it('logs through the injected logger when a prediction exceeds the threshold', async () => {
    const warn = vi.fn();
    const model = await loadSentimentModel(defaultModelDir(), { logger: { warn }, slowPredictionMs: 0 });
    await model.predict(['hello there']);
    await model.close();
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/sentiment prediction took \d+ ms/),
      expect.objectContaining({ texts: 1 }),
    );
  });

  it('stays quiet below the default 500 ms threshold', async () => {
    const warn = vi.fn();
    const model = await loadSentimentModel(defaultModelDir(), { logger: { warn } });
    await model.predict(['hello there']);
    await model.close();
    expect(warn).not.toHaveBeenCalled();
  });
});
