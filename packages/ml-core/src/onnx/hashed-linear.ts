import { DataType, encodeModel, floatBytes } from './proto.js';

/** Input and output names of the hashed linear model graph. */
export const HASHED_INPUTS = { indices: 'indices', scale: 'scale' } as const;
export const HASHED_OUTPUT = 'probabilities';

export interface HashedLinearWeights {
  /** Number of hash buckets (rows of the weight matrix). */
  buckets: number;
  /** Number of classes (columns). */
  classes: number;
  /** Row-major [buckets x classes]. */
  weights: Float32Array;
  /** [classes]. */
  bias: Float32Array;
  docString?: string;
}

/**
 * Builds a sparse linear softmax classifier as ONNX (opset 13):
 *
 *   indices int64 [batch, n]  feature buckets of each text, padded with `buckets` (a zero row)
 *   scale   float [batch, 1]  weight of every feature of the text (1/sqrt(feature count))
 *   Gather(W, indices) -> ReduceSum(axis 1) -> Mul(scale) -> Add(bias) -> Softmax -> probabilities
 *
 * Inference never materialises a dense [batch, buckets] vector: the cost is O(features x classes).
 * Every feature of a text carries the same weight, so it is applied once after the sum, which is
 * about twice as fast in onnxruntime as multiplying the gathered [batch, n, classes] rows.
 */
export function buildHashedLinearModel(m: HashedLinearWeights): Uint8Array {
  if (m.weights.length !== m.buckets * m.classes) throw new Error('weights must be buckets x classes');
  if (m.bias.length !== m.classes) throw new Error('bias must have one value per class');
  const padded = new Float32Array((m.buckets + 1) * m.classes);
  padded.set(m.weights); // the extra last row stays zero: the padding index
  return encodeModel({
    graphName: 'heed_hashed_linear',
    opset: 13,
    docString: m.docString,
    initializers: [
      { name: 'W', dataType: DataType.FLOAT, dims: [m.buckets + 1, m.classes], raw: floatBytes(padded) },
      { name: 'b', dataType: DataType.FLOAT, dims: [m.classes], raw: floatBytes(m.bias) },
      {
        name: 'axis1',
        dataType: DataType.INT64,
        dims: [1],
        raw: new Uint8Array(BigInt64Array.from([1n]).buffer),
      },
    ],
    inputs: [
      { name: HASHED_INPUTS.indices, elemType: DataType.INT64, shape: ['batch', 'n'] },
      { name: HASHED_INPUTS.scale, elemType: DataType.FLOAT, shape: ['batch', 1] },
    ],
    outputs: [{ name: HASHED_OUTPUT, elemType: DataType.FLOAT, shape: ['batch', m.classes] }],
    nodes: [
      {
        opType: 'Gather',
        inputs: ['W', HASHED_INPUTS.indices],
        outputs: ['rows'],
        attributes: { axis: { kind: 'int', value: 0 } },
      },
      {
        opType: 'ReduceSum',
        inputs: ['rows', 'axis1'],
        outputs: ['summed'],
        attributes: { keepdims: { kind: 'int', value: 0 } },
      },
      { opType: 'Mul', inputs: ['summed', HASHED_INPUTS.scale], outputs: ['scaled'] },
      { opType: 'Add', inputs: ['scaled', 'b'], outputs: ['logits'] },
      {
        opType: 'Softmax',
        inputs: ['logits'],
        outputs: [HASHED_OUTPUT],
        attributes: { axis: { kind: 'int', value: 1 } },
      },
    ],
  });
}
