import { describe, expect, it } from 'vitest';
import { featurize, type HashedNgramConfig, tokenize } from './features.js';

const config: HashedNgramConfig = {
  type: 'hashed-ngrams',
  buckets: 1 << 18,
  wordNgrams: 2,
  charNgrams: [2, 4],
  negation: true,
  maxFeatures: 256,
  seed: 7,
};

describe('tokenize', () => {
  it('normalises mentions, hashtags, elongations, emoticons and punctuation runs', () => {
    expect(tokenize('@bob sooooo #happy :) !!!! ...')).toEqual(['@user', 'soo', 'happy', ':)', '!!', '...']);
  });
});

describe('featurize', () => {
  const set = (text: string, c = config) => {
    const f = featurize(text, c);
    return Array.from(f.indices.subarray(0, f.count));
  };

  it('is deterministic and stays within the bucket range', () => {
    const a = set('The delivery was late again');
    expect(a).toEqual(set('The delivery was late again'));
    expect(a.every((i) => i >= 0 && i < config.buckets)).toBe(true);
  });

  it('gives a negated word different features from the plain word', () => {
    const plain = set('good');
    const negated = set('not good');
    expect(negated).not.toContain(plain[0]);
  });

  it('caps the number of features', () => {
    expect(featurize('lorem ipsum '.repeat(500), config).count).toBe(config.maxFeatures);
  });

  it('applies preprocessing (case and numbers do not matter)', () => {
    expect(set('Refund 42 NOW')).toEqual(set('refund 7 now'));
  });
});
