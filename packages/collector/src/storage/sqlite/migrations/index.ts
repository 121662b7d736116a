import type { Migration } from '../../migrations.js';
import init from './0001_init.js';
import sentimentScore from './0002_sentiment_score.js';
import insights from './0004_insights.js';

/** Versioned migrations, applied in order; never edit one that has shipped, add the next. */
export const migrations: Migration[] = [
  { version: '0001_init', sql: init },
  { version: '0002_sentiment_score', sql: sentimentScore },
  { version: '0004_insights', sql: insights },
];
