/** Classification metrics used by the training script and the benchmark. */

export interface ClassificationReport {
  accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1: number;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
}

/** Accuracy, macro-F1 and per-class precision/recall/F1 of `predicted` against `gold`. */
export function classificationReport(
  gold: readonly string[],
  predicted: readonly string[],
  labels: readonly string[],
): ClassificationReport {
  if (gold.length !== predicted.length) throw new Error('gold and predicted differ in length');
  let correct = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === predicted[i]) correct++;
  const perClass: ClassificationReport['perClass'] = {};
  let f1Sum = 0;
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      const g = gold[i] === label;
      const p = predicted[i] === label;
      if (g && p) tp++;
      else if (p) fp++;
      else if (g) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[label] = { precision, recall, f1, support: tp + fn };
    f1Sum += f1;
  }
  return {
    accuracy: gold.length === 0 ? 0 : correct / gold.length,
    macroF1: f1Sum / labels.length,
    perClass,
  };
}
