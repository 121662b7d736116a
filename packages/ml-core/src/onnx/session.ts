/**
 * The onnxruntime-node adapter: the only module that imports onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import type { TextEncoder } from '../encoders/types.js';
import type { SentimentLabel } from '../manifest.js';
import {
  consoleLogger,
  type Logger,
  NEUTRAL_EMPTY,
  type SentimentModel,
  type SentimentResult,
  SLOW_PREDICTION_MS,
  softmaxRows,
  toResult,
} from '../model.js';

export interface OnnxModelOptions {
  /** Threads onnxruntime may use inside one predict() call. Default 1: parallelism comes from the worker pool. */
  intraOpThreads?: number;
  /** Where slow-prediction warnings go. Default console.warn. */
  logger?: Logger;
  /** A predict() call slower than this (ms) logs a warning. Default 500. */
  slowPredictionMs?: number;
}

export interface OnnxModelSpec {
  name: string;
  version: string;
  modelPath: string;
  labels: SentimentLabel[];
  encoder: TextEncoder;
  output?: string;
  outputKind: 'probabilities' | 'logits';
}

/** Opens an ONNX sentiment model with onnxruntime-node. */
export async function createOnnxModel(
  spec: OnnxModelSpec,
  options: OnnxModelOptions = {},
): Promise<SentimentModel> {
  const threads = options.intraOpThreads ?? 1;
  const session = await ort.InferenceSession.create(spec.modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const outputName = spec.output ?? session.outputNames[0];
  if (!outputName || !session.outputNames.includes(outputName)) {
    throw new Error(
      `${spec.modelPath}: output ${spec.output} not found (has ${session.outputNames.join(', ')})`,
    );
  }
  const logger = options.logger ?? consoleLogger;
  const slowMs = options.slowPredictionMs ?? SLOW_PREDICTION_MS;
  let closed = false;

  // One batch at a time per model: encoders reuse their buffers, and processingTimeMs then measures
  // this batch alone. Parallelism comes from worker threads, each with its own model.
  let queue: Promise<unknown> = Promise.resolve();
  function predict(texts: string[]): Promise<SentimentResult[]> {
    if (closed) return Promise.reject(new Error(`model ${spec.name} is closed`));
    const result = queue.then(() => runBatch(texts));
    queue = result.catch(() => undefined);
    return result;
  }

  async function runBatch(texts: string[]): Promise<SentimentResult[]> {
    const started = performance.now();
    const live = texts.map((t, i) => ({ t, i })).filter(({ t }) => t.trim() !== '');
    let probs: Float32Array = new Float32Array(0);
    if (live.length > 0) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, input] of Object.entries(
        spec.encoder.encode(
          live.map((x) => x.t),
          session.inputNames,
        ),
      )) {
        feeds[name] = new ort.Tensor(input.type, input.data, input.dims);
      }
      const out = await session.run(feeds, [outputName!]);
      const tensor = out[outputName!]!;
      probs = Float32Array.from(tensor.data as Float32Array);
      if (tensor.dims.length !== 2 || tensor.dims[1] !== spec.labels.length) {
        throw new Error(
          `${spec.name}: output shape [${tensor.dims.join(', ')}] does not match ${spec.labels.length} labels`,
        );
      }
      if (spec.outputKind === 'logits') softmaxRows(probs, spec.labels.length);
    }
    const elapsed = performance.now() - started;
    if (elapsed > slowMs) {
      logger.warn(`sentiment prediction took ${Math.round(elapsed)} ms`, {
        model: spec.name,
        texts: texts.length,
        elapsedMs: elapsed,
      });
    }
    const perText = texts.length === 0 ? 0 : elapsed / texts.length;
    const results: SentimentResult[] = texts.map(() => ({
      ...NEUTRAL_EMPTY,
      scores: { ...NEUTRAL_EMPTY.scores },
      processingTimeMs: perText,
    }));
    const k = spec.labels.length;
    live.forEach(({ i }, row) => {
      results[i] = toResult(spec.labels, probs.subarray(row * k, row * k + k), perText);
    });
    return results;
  }

  return {
    name: spec.name,
    version: spec.version,
    predict,
    async close() {
      if (closed) return;
      closed = true;
      await queue; // batches requested before close() still complete
      await session.release();
    },
  };
}
