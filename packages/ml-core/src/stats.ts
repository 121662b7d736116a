/** Small robust-statistics helpers for anomaly detection. */

/** Quantile with linear interpolation (type 7, as R and NumPy default) of a sorted array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** Median absolute deviation (unscaled). */
export function mad(values: readonly number[], center = median(values)): number {
  return median(values.map((v) => Math.abs(v - center)));
}

/**
 * Robust z-score: 0.6745 (x - median) / MAD (Iglewicz & Hoaglin). When the MAD is 0 (over half the
 * baseline is identical) the mean absolute deviation scaled by 1.2533 stands in; when that is 0 too,
 * any departure from the constant is infinitely unusual. `minScale(median)` can put a floor under the
 * scale (e.g. the Poisson standard deviation sqrt(median) for counts, which a small baseline's MAD
 * tends to underestimate).
 */
export function robustZ(
  x: number,
  baseline: readonly number[],
  minScale: (median: number) => number = () => 0,
): { z: number; median: number } {
  const m = median(baseline);
  const d = mad(baseline, m);
  const meanAd = baseline.reduce((s, v) => s + Math.abs(v - m), 0) / baseline.length;
  const scale = Math.max(d > 0 ? d / 0.6745 : 1.2533 * meanAd, minScale(m));
  if (scale > 0) return { z: (x - m) / scale, median: m };
  return { z: x === m ? 0 : Math.sign(x - m) * Number.POSITIVE_INFINITY, median: m };
}

/**
 * Tukey fences: how many IQRs `x` lies beyond [Q1, Q3] (0 inside). `minScale` floors the spread as in
 * {@link robustZ} (an IQR is 1.349 standard deviations).
 */
export function iqrDistance(
  x: number,
  baseline: readonly number[],
  minScale: (median: number) => number = () => 0,
): { distance: number; q1: number; q3: number } {
  const sorted = [...baseline].sort((a, b) => a - b);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = Math.max(q3 - q1, 1.349 * minScale(quantileSorted(sorted, 0.5)));
  const beyond = x > q3 ? x - q3 : x < q1 ? q1 - x : 0;
  if (beyond === 0) return { distance: 0, q1, q3 };
  return { distance: iqr > 0 ? beyond / iqr : Number.POSITIVE_INFINITY, q1, q3 };
}
