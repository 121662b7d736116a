import type { HashedNgramConfig } from './features.js';

/** The three sentiment classes, in the output order of the default model. */
export const LABELS = ['negative', 'neutral', 'positive'] as const;
export type SentimentLabel = (typeof LABELS)[number];

/** WordPiece tokenizer settings for BERT-style models (vocab.txt next to the model). */
export interface WordPieceConfig {
  type: 'wordpiece';
  /** Vocabulary file, relative to the model directory. Default `vocab.txt`. */
  vocab?: string;
  /** Lowercase and strip accents before tokenizing (uncased models). Default true. */
  lowercase?: boolean;
  /** Sequence length including [CLS] and [SEP]. Default 128. */
  maxLength?: number;
}

export type FeaturizerConfig = HashedNgramConfig | WordPieceConfig;

/**
 * `model.json` in a model directory: which ONNX file to run, how to turn texts into its inputs and
 * what each output column means.
 */
export interface ModelManifest {
  name: string;
  version: string;
  /** ONNX file, relative to the directory. Default `model.onnx`. */
  file?: string;
  /** Output column -> label; each entry is positive, negative or neutral (a 2-class model may omit neutral). */
  labels: string[];
  featurizer: FeaturizerConfig;
  /** Output tensor to read. Default: the model's first output. */
  output?: string;
  /** Whether that output holds probabilities or logits (softmax is then applied). Default `probabilities`
   * for hashed-ngrams models and `logits` for wordpiece models. */
  outputKind?: 'probabilities' | 'logits';
  /** Free-form provenance (the default model records its training run here). */
  training?: Record<string, unknown>;
}
