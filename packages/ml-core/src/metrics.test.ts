import { expect, it } from 'vitest';
import { classificationReport } from './metrics.js';

it('computes accuracy, per-class F1 and their unweighted mean', () => {
  const gold = ['pos', 'pos', 'neg', 'neg', 'neu', 'neu'];
  const pred = ['pos', 'neg', 'neg', 'neg', 'neu', 'pos'];
  const r = classificationReport(gold, pred, ['pos', 'neg', 'neu']);
  expect(r.accuracy).toBeCloseTo(4 / 6);
  // pos: P 1/2 R 1/2 -> 0.5; neg: P 2/3 R 1 -> 0.8; neu: P 1 R 1/2 -> 2/3
  expect(r.perClass.neg).toMatchObject({ precision: 2 / 3, recall: 1, support: 2 });
  expect(r.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3);
});

it('scores a class that is never predicted as 0 instead of failing', () => {
  const r = classificationReport(['a', 'b'], ['a', 'a'], ['a', 'b']);
  expect(r.perClass.b!.f1).toBe(0);
  expect(r.macroF1).toBeCloseTo((2 / 3 + 0) / 2);
});
