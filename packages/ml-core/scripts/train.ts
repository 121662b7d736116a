/**
 * Trains the default sentiment model and writes it to packages/ml-core/model/.
 *
 *   pnpm --filter @heed/ml-core train [-- --data <dir>]
 *
 * Data: <dir>/train.jsonl (fitting) and <dir>/dev.jsonl (model selection and temperature
 * calibration only). Default <dir>: $HEED_SENTIMENT_DATA or ../shared/data/sentiment next to the repo.
 * Deterministic: a fixed seed, a fixed hyper-parameter grid, no wall-clock dependence.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { featurize, type HashedNgramConfig } from '../src/features.js';
import { LABELS, type ModelManifest } from '../src/manifest.js';
import { classificationReport } from '../src/metrics.js';
import { buildHashedLinearModel } from '../src/onnx/hashed-linear.js';
import { createTrainer, type Example, type LinearModel, logits, softmaxInPlace } from './linear.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const args = process.argv.slice(2);
const dataArg = args.indexOf('--data');
const dataDir = resolve(
  dataArg >= 0
    ? args[dataArg + 1]!
    : (process.env.HEED_SENTIMENT_DATA ?? join(packageDir, '../../../shared/data/sentiment')),
);
const outDir = join(packageDir, 'model');
const SEED = 20_261_122;
const MAX_EPOCHS = 8;

interface Row {
  text: string;
  label: string;
}
const read = (file: string): Row[] =>
  readFileSync(join(dataDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);

const train = read('train.jsonl');
const dev = read('dev.jsonl');
const labelIndex = (l: string) => {
  const i = (LABELS as readonly string[]).indexOf(l);
  if (i < 0) throw new Error(`unknown label ${l}`);
  return i;
};
console.log(`train ${train.length} rows, dev ${dev.length} rows from ${dataDir}`);

interface Candidate {
  featurizer: HashedNgramConfig;
  learningRate: number;
  balanced: boolean;
  averaged: boolean;
}
const base = { type: 'hashed-ngrams', maxFeatures: 1024, seed: 7, negation: true } as const;
const grid: Candidate[] = [];
// Explored while developing (dev macro-F1): word trigrams, no char n-grams, [3,5] char n-grams,
// 2^20 buckets and unbalanced class weights all scored lower than this neighbourhood.
for (const buckets of [2 ** 18])
  for (const charNgrams of [
    [2, 4],
    [2, 5],
  ] as const)
    for (const learningRate of [0.1, 0.2])
      for (const averaged of [false, true])
        grid.push({
          featurizer: { ...base, buckets, wordNgrams: 2, charNgrams: [...charNgrams] },
          learningRate,
          balanced: true,
          averaged,
        });
const only = process.env.HEED_TRAIN_GRID; // e.g. "0,3": run a subset while experimenting
const candidates = only ? only.split(',').map((i) => grid[Number(i)]!) : grid;

function examplesOf(rows: Row[], cfg: HashedNgramConfig): Example[] {
  return rows.map((r) => {
    const f = featurize(r.text, cfg);
    return { indices: f.indices.slice(0, f.count), label: labelIndex(r.label) };
  });
}

function probabilities(model: LinearModel, examples: Example[], temperature = 1): Float64Array[] {
  return examples.map((ex) => {
    const p = new Float64Array(LABELS.length);
    logits(model, ex.indices, LABELS.length, p);
    for (let c = 0; c < p.length; c++) p[c] = p[c]! / temperature;
    softmaxInPlace(p);
    return p;
  });
}
const argmax = (p: Float64Array) => p.indexOf(Math.max(...p));
function evaluate(model: LinearModel, examples: Example[]) {
  const probs = probabilities(model, examples);
  return classificationReport(
    examples.map((e) => LABELS[e.label]!),
    probs.map((p) => LABELS[argmax(p)]!),
    LABELS,
  );
}
function nll(model: LinearModel, examples: Example[], t: number): number {
  const probs = probabilities(model, examples, t);
  let s = 0;
  for (let i = 0; i < examples.length; i++) s -= Math.log(Math.max(probs[i]![examples[i]!.label]!, 1e-12));
  return s / examples.length;
}

let best: { cand: Candidate; epochs: number; macroF1: number; model: LinearModel } | null = null;
const started = Date.now();
for (const cand of candidates) {
  const trainEx = examplesOf(train, cand.featurizer);
  const devEx = examplesOf(dev, cand.featurizer);
  const counts = LABELS.map((_, c) => trainEx.filter((e) => e.label === c).length);
  const classWeights = cand.balanced ? counts.map((n) => trainEx.length / (LABELS.length * n)) : null;
  const trainer = createTrainer(trainEx, {
    buckets: cand.featurizer.buckets,
    classes: LABELS.length,
    learningRate: cand.learningRate,
    classWeights,
    seed: SEED,
  });
  for (let epoch = 1; epoch <= MAX_EPOCHS; epoch++) {
    trainer.epoch();
    const current = cand.averaged ? trainer.averaged() : trainer.model;
    const r = evaluate(current, devEx);
    if (!best || r.macroF1 > best.macroF1) {
      best = {
        cand,
        epochs: epoch,
        macroF1: r.macroF1,
        model: cand.averaged ? current : { weights: current.weights.slice(), bias: current.bias.slice() },
      };
    }
    if (epoch === MAX_EPOCHS || epoch % 2 === 0)
      console.log(
        `${JSON.stringify({ ...cand.featurizer, type: undefined, seed: undefined, maxFeatures: undefined })} lr=${cand.learningRate} avg=${cand.averaged} epoch ${epoch}: dev macroF1 ${r.macroF1.toFixed(4)} acc ${r.accuracy.toFixed(4)}`,
      );
  }
}
if (!best) throw new Error('no candidate trained');

// Temperature scaling on dev: minimise negative log-likelihood over T (golden-section search).
const devEx = examplesOf(dev, best.cand.featurizer);
let lo = 0.05;
let hi = 10;
for (let i = 0; i < 60; i++) {
  const a = hi - (hi - lo) / 1.618;
  const b = lo + (hi - lo) / 1.618;
  if (nll(best.model, devEx, a) < nll(best.model, devEx, b)) hi = b;
  else lo = a;
}
const temperature = (lo + hi) / 2;
const calibrated: LinearModel = {
  weights: best.model.weights.map((w) => w / temperature),
  bias: best.model.bias.map((b) => b / temperature),
};
const report = evaluate(calibrated, devEx);
console.log(`selected ${JSON.stringify(best.cand)} epochs=${best.epochs} T=${temperature.toFixed(3)}`);
console.log(`dev NLL ${nll(best.model, devEx, 1).toFixed(4)} -> ${nll(calibrated, devEx, 1).toFixed(4)}`);
console.log(`dev macroF1 ${report.macroF1.toFixed(4)} accuracy ${report.accuracy.toFixed(4)}`);

const onnx = buildHashedLinearModel({
  buckets: best.cand.featurizer.buckets,
  classes: LABELS.length,
  weights: calibrated.weights,
  bias: calibrated.bias,
  docString: 'Heed default sentiment model: hashed word/char n-grams, linear softmax. See README.md.',
});
const manifest: ModelManifest = {
  name: 'heed-sentiment-hashed',
  version: '1.0.0',
  file: 'model.onnx',
  labels: [...LABELS],
  featurizer: best.cand.featurizer,
  training: {
    command: 'pnpm --filter @heed/ml-core train',
    seed: SEED,
    epochs: best.epochs,
    learningRate: best.cand.learningRate,
    classWeights: best.cand.balanced ? 'balanced' : 'none',
    temperature: Number(temperature.toFixed(4)),
    trainRows: train.length,
    dev: {
      rows: dev.length,
      macroF1: Number(report.macroF1.toFixed(4)),
      accuracy: Number(report.accuracy.toFixed(4)),
      perClassF1: Object.fromEntries(LABELS.map((l) => [l, Number(report.perClass[l]!.f1.toFixed(4))])),
    },
  },
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'model.onnx'), onnx);
writeFileSync(join(outDir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `wrote ${join(outDir, 'model.onnx')} (${(onnx.length / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
