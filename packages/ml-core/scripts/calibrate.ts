/**
 * Post-hoc calibration of a softmax classifier on held-out data (Guo et al., 2017):
 * - temperature scaling: p = softmax(z / T);
 * - "bias" scaling: p = softmax(z / T + d), one offset per class, which also corrects the class
 *   priors learnt with balanced class weights towards those of the held-out data.
 * Both minimise the negative log-likelihood (never accuracy or F1) by gradient descent.
 */

export interface Calibration {
  /** 1 / T. */
  scale: number;
  /** Per-class offsets added after scaling (all zero for temperature scaling). */
  offsets: number[];
}

function probs(z: ArrayLike<number>, c: Calibration, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < out.length; k++) {
    out[k] = c.scale * z[k]! + c.offsets[k]!;
    if (out[k]! > max) max = out[k]!;
  }
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = Math.exp(out[k]! - max);
    sum += out[k]!;
  }
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / sum;
}

/** Mean negative log-likelihood of `labels` under calibrated `logits`. */
export function meanNll(
  logits: readonly ArrayLike<number>[],
  labels: readonly number[],
  c: Calibration,
): number {
  const p = new Float64Array(c.offsets.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    probs(logits[i]!, c, p);
    s -= Math.log(Math.max(p[labels[i]!]!, 1e-12));
  }
  return s / logits.length;
}

/** Fits the calibration by full-batch gradient descent on the mean NLL (deterministic). */
export function fitCalibration(
  logits: readonly ArrayLike<number>[],
  labels: readonly number[],
  classes: number,
  withOffsets: boolean,
): Calibration {
  const c: Calibration = { scale: 1, offsets: new Array(classes).fill(0) };
  const p = new Float64Array(classes);
  const lr = 0.5;
  for (let iter = 0; iter < 2000; iter++) {
    let gScale = 0;
    const gOff = new Array(classes).fill(0);
    for (let i = 0; i < logits.length; i++) {
      const z = logits[i]!;
      probs(z, c, p);
      for (let k = 0; k < classes; k++) {
        const g = p[k]! - (k === labels[i] ? 1 : 0);
        gScale += g * z[k]!;
        gOff[k] += g;
      }
    }
    c.scale -= (lr * gScale) / logits.length;
    if (withOffsets) {
      const mean = gOff.reduce((a, b) => a + b, 0) / classes;
      for (let k = 0; k < classes; k++) c.offsets[k]! -= (lr * (gOff[k]! - mean)) / logits.length;
    }
  }
  return c;
}
