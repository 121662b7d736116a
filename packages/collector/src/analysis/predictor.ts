import { createHash } from 'node:crypto';
import type { SentimentResult } from '@heed/ml-core';
import type { KeyValueCache } from '../cache/kv.js';
import type { SentimentPool } from './pool.js';

export const PREDICTION_TTL_MS = 60 * 60 * 1000;

export interface Prediction extends SentimentResult {
  cached: boolean;
}

/**
 * Sentiment with a prediction cache keyed `ml:{model}:{sha256(text)}` (1 hour): repeated texts
 * ("thanks!", canned replies) are scored once.
 */
export class Predictor {
  constructor(
    readonly pool: SentimentPool,
    private readonly cache: KeyValueCache,
  ) {}

  private key(text: string): string {
    return `ml:${this.pool.modelName}:${createHash('sha256').update(text).digest('hex')}`;
  }

  /** Scores up to 32 texts; cached ones skip the pool. */
  async predict(texts: string[]): Promise<Prediction[]> {
    const keys = texts.map((t) => this.key(t));
    const hits = await this.cache.getMany(keys);
    const out: Array<Prediction | undefined> = hits.map((h) =>
      h ? { ...JSON.parse(h), cached: true } : undefined,
    );
    const missing = out.flatMap((p, i) => (p ? [] : [i]));
    if (missing.length > 0) {
      const fresh = await this.pool.predict(missing.map((i) => texts[i]!));
      await Promise.all(
        missing.map((i, j) => {
          out[i] = { ...fresh[j]!, cached: false };
          return this.cache.set(keys[i]!, JSON.stringify(fresh[j]), PREDICTION_TTL_MS);
        }),
      );
    }
    return out as Prediction[];
  }
}
