import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { hashedEncoder } from '../src/encoders/hashed.ts';

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
const enc = hashedEncoder(cfg, lex);
const s = await ort.InferenceSession.create('model/model.onnx', {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const encoded = batches.map((b) => enc.encode(b, []));
await cpu('tensor+run', async () => {
  for (const e of encoded) {
    const f = Object.fromEntries(
      Object.entries(e).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]),
    );
    await s.run(f);
  }
});
await cpu('tensor+run fetch', async () => {
  for (const e of encoded) {
    const f = Object.fromEntries(
      Object.entries(e).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]),
    );
    await s.run(f, ['probabilities']);
  }
});
await cpu('alloc 104KB bigint', () => {
  for (const b of batches) new BigInt64Array(32 * 405);
});
await cpu('tensor+run+copy', async () => {
  for (const e of encoded) {
    const f = Object.fromEntries(
      Object.entries(e).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)]),
    );
    const o = await s.run(f);
    Float32Array.from(o.probabilities.data as Float32Array);
  }
});
