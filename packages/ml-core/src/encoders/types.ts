/** A model input as plain typed arrays; the ONNX adapter wraps it in an onnxruntime tensor. */
export interface InputTensor {
  type: 'int64' | 'float32';
  data: BigInt64Array | Float32Array;
  dims: number[];
}

/**
 * Turns a batch of raw texts into model inputs. Encoders know nothing about onnxruntime. Returned
 * arrays may be reused by the next encode() call, so the model runs one batch at a time.
 */
export interface TextEncoder {
  /** Input tensors by name. `inputNames` are the model's inputs, for encoders with optional ones. */
  encode(texts: readonly string[], inputNames: readonly string[]): Record<string, InputTensor>;
}
