/**
 * Multinomial logistic regression over hashed sparse features, trained with AdaGrad.
 * Deterministic for a given seed (a seeded shuffle, no other randomness).
 */

export interface Example {
  indices: Int32Array;
  label: number;
  /** Loss weight of this example (e.g. by source). Default 1. */
  weight?: number;
}

export interface TrainOptions {
  buckets: number;
  classes: number;
  learningRate: number;
  /** Per-class loss weights (e.g. inverse frequency), or null. */
  classWeights: number[] | null;
  seed: number;
}

export interface LinearModel {
  weights: Float32Array;
  bias: Float32Array;
}

/** mulberry32: a tiny seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Logits of one example (feature value = 1/sqrt(count), as in the ONNX graph's `values`). */
export function logits(model: LinearModel, indices: Int32Array, classes: number, out: Float64Array): void {
  const v = indices.length === 0 ? 0 : 1 / Math.sqrt(indices.length);
  for (let c = 0; c < classes; c++) out[c] = model.bias[c]!;
  for (let j = 0; j < indices.length; j++) {
    const row = indices[j]! * classes;
    for (let c = 0; c < classes; c++) out[c] = out[c]! + v * model.weights[row + c]!;
  }
}

export function softmaxInPlace(x: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of x) if (v > max) max = v;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] = Math.exp(x[i]! - max);
    sum += x[i]!;
  }
  for (let i = 0; i < x.length; i++) x[i] = x[i]! / sum;
}

/** A trainer that can run epoch by epoch so the caller can select the best epoch on dev data. */
export function createTrainer(examples: Example[], opts: TrainOptions) {
  const { buckets, classes, learningRate } = opts;
  const model: LinearModel = {
    weights: new Float32Array(buckets * classes),
    bias: new Float32Array(classes),
  };
  const gradSq = new Float32Array(buckets * classes).fill(1e-6);
  const biasGradSq = new Float64Array(classes).fill(1e-6);
  const random = rng(opts.seed);
  const order = examples.map((_, i) => i);
  const p = new Float64Array(classes);
  // Averaged parameters (Polyak-Ruppert) via the lazy trick: avg = w - u / t, where u accumulates
  // t * delta for every update made at step t. Averaging regularises the online updates.
  const u = new Float32Array(buckets * classes);
  const ub = new Float64Array(classes);
  let t = 1;
  return {
    model,
    averaged(): LinearModel {
      const weights = new Float32Array(model.weights.length);
      for (let i = 0; i < weights.length; i++) weights[i] = model.weights[i]! - u[i]! / t;
      const bias = new Float32Array(classes);
      for (let c = 0; c < classes; c++) bias[c] = model.bias[c]! - ub[c]! / t;
      return { weights, bias };
    },
    epoch(): void {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const k of order) {
        const ex = examples[k]!;
        logits(model, ex.indices, classes, p);
        softmaxInPlace(p);
        const w = (opts.classWeights ? opts.classWeights[ex.label]! : 1) * (ex.weight ?? 1);
        const v = ex.indices.length === 0 ? 0 : 1 / Math.sqrt(ex.indices.length);
        for (let c = 0; c < classes; c++) {
          const g = w * (p[c]! - (c === ex.label ? 1 : 0));
          biasGradSq[c] = biasGradSq[c]! + g * g;
          const db = (learningRate * g) / Math.sqrt(biasGradSq[c]!);
          model.bias[c] = model.bias[c]! - db;
          ub[c] = ub[c]! - t * db;
          const gv = g * v;
          const gv2 = gv * gv;
          for (let j = 0; j < ex.indices.length; j++) {
            const at = ex.indices[j]! * classes + c;
            gradSq[at] = gradSq[at]! + gv2;
            const d = (learningRate * gv) / Math.sqrt(gradSq[at]!);
            model.weights[at] = model.weights[at]! - d;
            u[at] = u[at]! - t * d;
          }
        }
        t++;
      }
    },
  };
}
