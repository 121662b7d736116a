import { featurize, type HashedNgramConfig } from '../features.js';
import { HASHED_INPUTS } from '../onnx/hashed-linear.js';
import type { InputTensor, TextEncoder } from './types.js';

/**
 * Encodes texts for hashed n-gram models: `indices` int64 [batch, n] and `values` float [batch, n],
 * padded with value 0. Each text's features weigh 1/sqrt(count).
 */
export function hashedEncoder(config: HashedNgramConfig): TextEncoder {
  if (!Number.isInteger(Math.log2(config.buckets)))
    throw new Error('featurizer.buckets must be a power of two');
  const scratch = new Int32Array(config.maxFeatures);
  return {
    encode(texts) {
      const rows = texts.map((t) => {
        const f = featurize(t, config, scratch);
        return f.indices.slice(0, f.count);
      });
      const width = Math.max(1, ...rows.map((r) => r.length));
      const indices = new BigInt64Array(texts.length * width);
      // Write int64s through a 32-bit view (little-endian low words): avoids one BigInt per feature.
      const words = new Int32Array(indices.buffer);
      const values = new Float32Array(texts.length * width);
      rows.forEach((row, r) => {
        const v = row.length === 0 ? 0 : 1 / Math.sqrt(row.length);
        for (let j = 0; j < row.length; j++) {
          words[(r * width + j) * 2] = row[j]!;
          values[r * width + j] = v;
        }
      });
      const dims = [texts.length, width];
      return {
        [HASHED_INPUTS.indices]: { type: 'int64', data: indices, dims } satisfies InputTensor,
        [HASHED_INPUTS.values]: { type: 'float32', data: values, dims } satisfies InputTensor,
      };
    },
  };
}
