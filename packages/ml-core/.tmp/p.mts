import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { hashedEncoder } from '../src/encoders/hashed.ts';
import { featurize } from '../src/features.ts';
import { loadSentimentModel } from '../src/loader.ts';

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
async function cpu(name: string, fn: () => unknown, reps = 10) {
  await fn();
  await fn();
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) await fn();
  const c = process.cpuUsage(c0);
  console.log(name, ((c.user + c.system) / (reps * texts.length)).toFixed(2), 'cpu-us/text');
}
const out = new Int32Array(1024);
await cpu('featurize', () => {
  for (const t of texts) featurize(t, cfg, out, lex);
});
const enc = hashedEncoder(cfg, lex);
await cpu('encode b32', () => {
  for (const b of batches) enc.encode(b, []);
});
const s = await ort.InferenceSession.create('model/model.onnx', {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const feeds = batches.map((b) =>
  Object.fromEntries(
    Object.entries(enc.encode(b, [])).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]),
  ),
);
await cpu('run b32', async () => {
  for (const f of feeds) await s.run(f);
});
const m = await loadSentimentModel('model');
await cpu('predict b32', async () => {
  for (const b of batches) await m.predict(b);
});
let tot = 0,
  padded = 0;
for (const f of feeds) {
  padded += f.indices.dims[0] * f.indices.dims[1];
}
for (const t of texts) tot += featurize(t, cfg, out, lex).count;
console.log('avg features', tot / texts.length, 'padded/text', padded / texts.length);
