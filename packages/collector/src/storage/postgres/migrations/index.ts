import type { Migration } from '../../migrations.js';
import init from './0001_init.js';
import sentimentScore from './0002_sentiment_score.js';
import security from './0003_security.js';
import insights from './0004_insights.js';
import analysis from './0005_analysis.js';
import live from './0006_live.js';
import deferredCustomerFk from './0007_deferred_customer_fk.js';
import insightsRollup from './0008_insights_rollup.js';
import importJobs from './0009_import_jobs.js';

/** Versioned migrations, applied in order; never edit one that has shipped, add the next. */
export const migrations: Migration[] = [
  { version: '0001_init', sql: init },
  { version: '0002_sentiment_score', sql: sentimentScore },
  { version: '0003_security', sql: security },
  { version: '0004_insights', sql: insights },
  { version: '0005_analysis', sql: analysis },
  { version: '0006_live', sql: live },
  { version: '0007_deferred_customer_fk', sql: deferredCustomerFk },
  { version: '0008_insights_rollup', sql: insightsRollup },
  { version: '0009_import_jobs', sql: importJobs },
];
