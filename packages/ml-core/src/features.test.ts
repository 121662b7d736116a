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

  it('adds lexicon polarity features, flipped under negation', () => {
    const lexicon = new Map([
      ['good', 1.9],
      ['bad', -1.9],
    ]);
    const lexiconOnly = (text: string) => {
      const plain = new Set(set(text));
      const f = featurize(text, config, undefined, lexicon);
      return Array.from(f.indices.subarray(0, f.count)).filter((i) => !plain.has(i));
    };
    expect(lexiconOnly('not good')).toHaveLength(2); // polarity/strength + summed valence
    expect(lexiconOnly('not good')).toEqual(lexiconOnly('bad'));
    expect(lexiconOnly('good')).not.toEqual(lexiconOnly('bad'));
    expect(lexiconOnly('neutral words only')).toEqual([]);
  });

  it('applies preprocessing (case and numbers do not matter)', () => {
    expect(set('Refund 42 NOW')).toEqual(set('refund 7 now'));
  });
});
