import { featurize, type HashedNgramConfig, type Lexicon } from '../features.js';
import { HASHED_INPUTS } from '../onnx/hashed-linear.js';
import type { InputTensor, TextEncoder } from './types.js';

/**
 * Encodes texts for hashed n-gram models: `indices` int64 [batch, n], padded with `buckets` (the
 * model's zero row), and `scale` float [batch, 1] = 1/sqrt(feature count) of each text.
 * The returned `indices` view is reused by the next call: run inference before encoding again.
 */
export function hashedEncoder(config: HashedNgramConfig, lexicon?: Lexicon): TextEncoder {
  if (!Number.isInteger(Math.log2(config.buckets)))
    throw new Error('featurizer.buckets must be a power of two');
  const max = config.maxFeatures;
  let scratch = new Int32Array(32 * max);
  let int64 = new BigInt64Array(32 * 512);
  let words = new Int32Array(int64.buffer);
  return {
    encode(texts) {
      if (scratch.length < texts.length * max) scratch = new Int32Array(texts.length * max);
      const counts = new Int32Array(texts.length);
      let width = 1;
      for (let r = 0; r < texts.length; r++) {
        const { count } = featurize(texts[r]!, config, scratch.subarray(r * max, (r + 1) * max), lexicon);
        counts[r] = count;
        if (count > width) width = count;
      }
      // The int64 buffer is reused between calls (callers run one encode -> inference at a time) and
      // written through a 32-bit view (little-endian low words, high words stay 0): no BigInt per feature.
      if (int64.length < texts.length * width) {
        int64 = new BigInt64Array(Math.max(texts.length * width, int64.length * 2));
        words = new Int32Array(int64.buffer);
      }
      const indices = int64.subarray(0, texts.length * width);
      const scale = new Float32Array(texts.length);
      for (let r = 0; r < texts.length; r++) {
        const count = counts[r]!;
        const src = r * max;
        const dst = r * width * 2;
        for (let j = 0; j < count; j++) words[dst + 2 * j] = scratch[src + j]!;
        for (let j = count; j < width; j++) words[dst + 2 * j] = config.buckets;
        scale[r] = count === 0 ? 0 : 1 / Math.sqrt(count);
      }
      return {
        [HASHED_INPUTS.indices]: {
          type: 'int64',
          data: indices,
          dims: [texts.length, width],
        } satisfies InputTensor,
        [HASHED_INPUTS.scale]: {
          type: 'float32',
          data: scale,
          dims: [texts.length, 1],
        } satisfies InputTensor,
      };
    },
  };
}
