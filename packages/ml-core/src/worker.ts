/**
 * Piscina worker entry (`@heed/ml-core/worker`, file: `workerPath()`). Each worker thread loads a
 * model once per directory and keeps it for its lifetime.
 *
 *   const pool = new Piscina({ filename: workerPath() });
 *   const results: SentimentResult[] = await pool.run({ texts });   // up to 32 texts a task
 */
import { defaultModelDir, loadSentimentModel } from './loader.js';
import type { SentimentModel, SentimentResult } from './model.js';

export interface SentimentTask {
  texts: string[];
  /** Model directory; default: the bundled model. */
  modelDir?: string;
}

const models = new Map<string, Promise<SentimentModel>>();

function modelFor(dir: string): Promise<SentimentModel> {
  let model = models.get(dir);
  if (!model) {
    model = loadSentimentModel(dir);
    // A failed load is not cached, so a later task can retry (e.g. after the files are fixed).
    model.catch(() => models.delete(dir));
    models.set(dir, model);
  }
  return model;
}

export default async function analyse({ texts, modelDir }: SentimentTask): Promise<SentimentResult[]> {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
    throw new TypeError('texts must be an array of strings');
  }
  const model = await modelFor(modelDir ?? defaultModelDir());
  return model.predict(texts);
}
