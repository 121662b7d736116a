import type { SentimentLabel } from './manifest.js';

export interface SentimentScores {
  positive: number;
  negative: number;
  neutral: number;
}

export interface SentimentResult {
  label: SentimentLabel;
  /** Each in [0, 1]; they sum to 1. */
  scores: SentimentScores;
  /** The highest of the three scores. */
  confidence: number;
  /** Wall time of the predict() call that scored this text, divided evenly among its texts. */
  processingTimeMs: number;
}

/** A sentiment classifier. Implementations must be safe to call with batches (the collector sends 32). */
export interface SentimentModel {
  readonly name: string;
  readonly version: string;
  /** One result per text, in order. An empty (or whitespace-only) text is neutral with confidence 1. */
  predict(texts: string[]): Promise<SentimentResult[]>;
  /** Lets predictions already requested finish, then releases native resources; later predict() calls reject. */
  close(): Promise<void>;
}

export interface Logger {
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** The default logger: console.warn. */
export const consoleLogger: Logger = {
  warn: (message, meta) => (meta ? console.warn(message, meta) : console.warn(message)),
};

/** A predict() call slower than this logs a warning. */
export const SLOW_PREDICTION_MS = 500;

export const NEUTRAL_EMPTY: Omit<SentimentResult, 'processingTimeMs'> = {
  label: 'neutral',
  scores: { positive: 0, negative: 0, neutral: 1 },
  confidence: 1,
};

/**
 * Turns one row of class probabilities (columns named by `labels`) into a result. Classes the model
 * lacks score 0; scores are clamped to [0, 1] and renormalised so they sum to 1.
 */
export function toResult(
  labels: readonly SentimentLabel[],
  row: ArrayLike<number>,
  processingTimeMs: number,
): SentimentResult {
  const scores: SentimentScores = { positive: 0, negative: 0, neutral: 0 };
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = Math.min(1, Math.max(0, Number.isFinite(row[i]!) ? row[i]! : 0));
    scores[labels[i]!] += v;
    sum += v;
  }
  if (sum <= 0) return { ...NEUTRAL_EMPTY, scores: { ...NEUTRAL_EMPTY.scores }, processingTimeMs };
  scores.positive /= sum;
  scores.negative /= sum;
  scores.neutral /= sum;
  let label: SentimentLabel = 'neutral';
  if (scores.positive > scores[label]) label = 'positive';
  if (scores.negative > scores[label]) label = 'negative';
  return { label, scores, confidence: scores[label], processingTimeMs };
}

/** Numerically stable softmax of each row of a [rows x cols] matrix, in place. */
export function softmaxRows(data: Float32Array, cols: number): void {
  for (let r = 0; r * cols < data.length; r++) {
    const o = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) max = Math.max(max, data[o + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      data[o + c] = Math.exp(data[o + c]! - max);
      sum += data[o + c]!;
    }
    for (let c = 0; c < cols; c++) data[o + c] = data[o + c]! / sum;
  }
}
