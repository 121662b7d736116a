import { readFileSync } from 'node:fs';
import { featurize } from '../src/features.ts';

const cfg = JSON.parse(readFileSync('model/model.json', 'utf8')).featurizer;
const lex = new Map(Object.entries(JSON.parse(readFileSync('model/lexicon.json', 'utf8')))) as Map<
  string,
  number
>;
const texts = readFileSync('/work/shared/data/sentiment/dev.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).text);
const batches: string[][] = [];
for (let i = 0; i < texts.length; i += 32) batches.push(texts.slice(i, i + 32));
function cpu(name: string, fn: () => unknown, reps = 20) {
  fn();
  fn();
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) fn();
  const c = process.cpuUsage(c0);
  console.log(name, ((c.user + c.system) / (reps * texts.length)).toFixed(2), 'cpu-us/text');
}
const max = 1024;
const scratch = new Int32Array(32 * max);
cpu('featurize flat', () => {
  for (const t of texts) featurize(t, cfg, scratch, lex);
});
cpu('featurize subarray', () => {
  for (const b of batches)
    for (let r = 0; r < b.length; r++) featurize(b[r]!, cfg, scratch.subarray(r * max, (r + 1) * max), lex);
});
cpu('featurize flat again', () => {
  for (const t of texts) featurize(t, cfg, scratch, lex);
});
