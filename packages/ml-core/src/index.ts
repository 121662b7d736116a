export const ML_CORE_VERSION = '0.1.0';

export {
  type Anomaly,
  type AnomalyMetric,
  detectSeriesAnomalies,
  type Granularity,
  type SeriesOptions,
  type SeriesPoint,
  type Severity,
} from './anomalies.js';
export { featurize, type HashedNgramConfig, type SparseFeatures, tokenize } from './features.js';
export { defaultModelDir, loadSentimentModel, readManifest, workerPath } from './loader.js';
export {
  type FeaturizerConfig,
  LABELS,
  type ModelManifest,
  type SentimentLabel,
  type WordPieceConfig,
} from './manifest.js';
export { type ClassificationReport, classificationReport } from './metrics.js';
export {
  consoleLogger,
  type Logger,
  type SentimentModel,
  type SentimentResult,
  type SentimentScores,
  SLOW_PREDICTION_MS,
} from './model.js';
export type { OnnxModelOptions } from './onnx/session.js';
export {
  type BehaviorPattern,
  detectPatterns,
  type PatternInteraction,
  type PatternOptions,
  type PatternType,
} from './patterns.js';
export { MAX_TEXT_LENGTH, PLACEHOLDERS, preprocess } from './preprocess.js';
export { detectWeekOverWeek, type WeekOverWeekOptions, type WeekStats } from './week-over-week.js';
export type { SentimentTask } from './worker.js';
