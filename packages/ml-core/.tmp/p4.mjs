import { readFileSync } from 'node:fs';
import { loadSentimentModel } from '../dist/index.js';

const texts = readFileSync('/work/shared/data/sentiment/dev.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).text);
const batches = [];
for (let i = 0; i < texts.length; i += 32) batches.push(texts.slice(i, i + 32));
const m = await loadSentimentModel('../model');
for (let r = 0; r < 3; r++) for (const b of batches) await m.predict(b);
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let r = 0; r < 20; r++) for (const b of batches) await m.predict(b);
const c = process.cpuUsage(c0);
console.log(
  'predict',
  ((c.user + c.system) / (20 * texts.length)).toFixed(2),
  'cpu-us/text',
  (((performance.now() - t0) * 1000) / (20 * texts.length)).toFixed(2),
  'wall-us/text',
);
