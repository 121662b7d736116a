import type { KeyValueCache } from '../cache/kv.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Hub } from '../realtime/hub.js';
import type { Storage } from '../storage/types.js';
import { AnomalyDetector } from './anomalies.js';
import { Dispatcher } from './dispatcher.js';
import { PatternService } from './patterns.js';
import { SentimentPool } from './pool.js';
import { Predictor } from './predictor.js';

export interface AnalysisServices {
  pool: SentimentPool;
  predictor: Predictor;
  dispatcher: Dispatcher;
  patterns: PatternService;
  anomalies: AnomalyDetector;
  /** Starts the dispatcher (woken by new interactions) and the anomaly schedule. */
  start(): void;
  close(): Promise<void>;
}

export interface AnalysisDeps {
  storage: Storage;
  hub: Hub;
  logger: Logger;
  cache: KeyValueCache;
  config: Config['analysis'];
  /** Called after each written batch (Prometheus metrics). */
  onAnalyzed?: (rows: number, ms: number) => void;
}

export function createAnalysis(deps: AnalysisDeps): AnalysisServices {
  const { storage, hub, logger, cache, config } = deps;
  const pool = new SentimentPool({ threads: config.threads, modelDir: config.modelDir });
  const predictor = new Predictor(pool, cache);
  const dispatcher = new Dispatcher({
    store: storage.analysis,
    predictor,
    hub,
    logger,
    ...(deps.onAnalyzed ? { onAnalyzed: (rows, ms) => deps.onAnalyzed?.(rows.length, ms) } : {}),
  });
  const patterns = new PatternService(storage, cache);
  const anomalies = new AnomalyDetector({ storage, hub, logger, cache, webhook: config.webhook });
  let unsubscribe: (() => void) | undefined;
  return {
    pool,
    predictor,
    dispatcher,
    patterns,
    anomalies,
    start() {
      dispatcher.start();
      unsubscribe = hub.subscribe((_org, e) => {
        if (e.type === 'interaction.created') dispatcher.poke();
      });
      anomalies.start(config.anomalyIntervalMs);
    },
    async close() {
      unsubscribe?.();
      await anomalies.stop();
      await dispatcher.stop();
      await pool.close();
    },
  };
}

export { AnomalyDetector, Dispatcher, PatternService, Predictor, SentimentPool };
