import { DataType, encodeModel, floatBytes } from './proto.js';

/** Input and output names of the hashed linear model graph. */
export const HASHED_INPUTS = { indices: 'indices', values: 'values' } as const;
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
 *   indices int64 [batch, n], values float [batch, n]   (padding: any index, value 0)
 *   Gather(W, indices)            -> [batch, n, classes]
 *   Mul(., Unsqueeze(values, 2))  -> weighted rows
 *   ReduceSum(axis 1) + bias      -> logits [batch, classes]
 *   Softmax(axis 1)               -> probabilities
 *
 * Inference never materialises a dense [batch, buckets] vector.
 */
export function buildHashedLinearModel(m: HashedLinearWeights): Uint8Array {
  if (m.weights.length !== m.buckets * m.classes) throw new Error('weights must be buckets x classes');
  if (m.bias.length !== m.classes) throw new Error('bias must have one value per class');
  const int64 = (name: string, values: number[]) => ({
    name,
    dataType: DataType.INT64,
    dims: [values.length],
    raw: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
  });
  return encodeModel({
    graphName: 'heed_hashed_linear',
    opset: 13,
    docString: m.docString,
    initializers: [
      { name: 'W', dataType: DataType.FLOAT, dims: [m.buckets, m.classes], raw: floatBytes(m.weights) },
      { name: 'b', dataType: DataType.FLOAT, dims: [m.classes], raw: floatBytes(m.bias) },
      int64('axis2', [2]),
      int64('axis1', [1]),
    ],
    inputs: [
      { name: HASHED_INPUTS.indices, elemType: DataType.INT64, shape: ['batch', 'n'] },
      { name: HASHED_INPUTS.values, elemType: DataType.FLOAT, shape: ['batch', 'n'] },
    ],
    outputs: [{ name: HASHED_OUTPUT, elemType: DataType.FLOAT, shape: ['batch', m.classes] }],
    nodes: [
      {
        opType: 'Gather',
        inputs: ['W', HASHED_INPUTS.indices],
        outputs: ['rows'],
        attributes: { axis: { kind: 'int', value: 0 } },
      },
      { opType: 'Unsqueeze', inputs: [HASHED_INPUTS.values, 'axis2'], outputs: ['values3'] },
      { opType: 'Mul', inputs: ['rows', 'values3'], outputs: ['weighted'] },
      {
        opType: 'ReduceSum',
        inputs: ['weighted', 'axis1'],
        outputs: ['summed'],
        attributes: { keepdims: { kind: 'int', value: 0 } },
      },
      { opType: 'Add', inputs: ['summed', 'b'], outputs: ['logits'] },
      {
        opType: 'Softmax',
        inputs: ['logits'],
        outputs: [HASHED_OUTPUT],
        attributes: { axis: { kind: 'int', value: 1 } },
      },
    ],
  });
}
