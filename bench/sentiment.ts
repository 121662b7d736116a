/**
 * Sentiment benchmark: our bundled ONNX model against the lexicon libraries people use today.
 *
 *   pnpm --filter @heed/ml-core build && cd bench && npx tsx sentiment.ts [path/to/dev.jsonl]
 *
 * Quality: accuracy and 3-class macro-F1 on dev.jsonl. Lexicons use their documented cut-offs (VADER
 * compound >= 0.05 / <= -0.05; AFINN and wink: score sign); the best cut-off found on dev itself is
 * shown too, as an upper bound for them. Speed: single-threaded (onnxruntime intra-op threads = 1),
 * texts/s by wall clock and per CPU-second (medians of 5 interleaved rounds, so every system sees the
 * same background load), p50/p99 latency per call, batch-of-32 versus one-by-one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  classificationReport,
  LABELS,
  loadSentimentModel,
  type SentimentResult,
  workerPath,
} from '@heed/ml-core';
import { Piscina } from 'piscina';

const require = createRequire(import.meta.url);
const vader = require('vader-sentiment') as {
  SentimentIntensityAnalyzer: { polarity_scores(t: string): { compound: number } };
};
const Afinn = require('sentiment') as new () => { analyze(t: string): { score: number } };
const wink = require('wink-sentiment') as (t: string) => { normalizedScore: number };

const here = dirname(fileURLToPath(import.meta.url));
const devPath = resolve(process.argv[2] ?? resolve(here, '../../shared/data/sentiment/dev.jsonl'));
const dev = readFileSync(devPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { text: string; label: string });
const texts = dev.map((d) => d.text);
const gold = dev.map((d) => d.label);

const afinn = new Afinn();
const lexicons: Array<{ name: string; score: (t: string) => number; cut: number }> = [
  {
    name: 'VADER (vader-sentiment)',
    score: (t) => vader.SentimentIntensityAnalyzer.polarity_scores(t).compound,
    cut: 0.05,
  },
  { name: 'AFINN (sentiment)', score: (t) => afinn.analyze(t).score, cut: Number.MIN_VALUE },
  { name: 'wink-sentiment', score: (t) => wink(t).normalizedScore, cut: Number.MIN_VALUE },
];
const byCut = (x: number, cut: number) => (x >= cut ? 'positive' : x <= -cut ? 'negative' : 'neutral');

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Speed {
  perSec: number;
  perCpuSec: number;
}

/** One measurement: repeats `pass` (one pass over all texts) until `minMs` elapsed. */
async function measure(pass: () => Promise<void> | void, minMs: number): Promise<Speed> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < minMs) {
    await pass();
    n += texts.length;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSec: n / wall, perCpuSec: n / ((cpu.user + cpu.system) / 1e6) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Throughput of several systems measured in interleaved rounds (A, B, C, A, B, C, ...), so that
 * all of them see the same background load; each figure is the median over the rounds.
 */
async function throughputs(passes: Record<string, () => Promise<void> | void>, rounds = 5, minMs = 600) {
  for (const pass of Object.values(passes)) await pass(); // warm-up (JIT, session)
  const samples: Record<string, Speed[]> = Object.fromEntries(Object.keys(passes).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, pass] of Object.entries(passes)) samples[name]!.push(await measure(pass, minMs));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, xs]) => [
      name,
      { perSec: median(xs.map((x) => x.perSec)), perCpuSec: median(xs.map((x) => x.perCpuSec)), rounds: xs },
    ]),
  );
}

async function latencies(call: (t: string) => Promise<unknown> | unknown) {
  const ms: number[] = [];
  for (const t of texts) {
    const s = performance.now();
    await call(t);
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
}

interface Row {
  name: string;
  /** texts per CPU-second relative to VADER (median of per-round ratios). */
  ratio: number;
  accuracy: number;
  macroF1: number;
  tunedF1?: string;
  perSec: number;
  perCpuSec: number;
  p50: number;
  p99: number;
}
const rows: Row[] = [];

const model = await loadSentimentModel(undefined, { intraOpThreads: 1 });
const BATCH = 32;
const predicted: string[] = [];
for (let i = 0; i < texts.length; i += BATCH) {
  for (const r of await model.predict(texts.slice(i, i + BATCH))) predicted.push(r.label);
}
const ours = classificationReport(gold, predicted, LABELS);

const speeds = await throughputs({
  ...Object.fromEntries(
    lexicons.map((lex) => [
      lex.name,
      () => {
        for (const t of texts) lex.score(t);
      },
    ]),
  ),
  batch: async () => {
    for (let i = 0; i < texts.length; i += BATCH) await model.predict(texts.slice(i, i + BATCH));
  },
  single: async () => {
    for (const t of texts) await model.predict([t]);
  },
});
const vaderName = lexicons[0]!.name;
// Ratio against VADER per round (same background load), then the median over rounds.
const ratioToVader = (name: string) =>
  median(speeds[name]!.rounds.map((x, r) => x.perCpuSec / speeds[vaderName]!.rounds[r]!.perCpuSec));

for (const lex of lexicons) {
  const scores = texts.map(lex.score);
  const r = classificationReport(
    gold,
    scores.map((s) => byCut(s, lex.cut)),
    LABELS,
  );
  let best = { f1: 0, cut: 0 };
  for (const cut of [1e-9, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1, 2, 3]) {
    const f1 = classificationReport(
      gold,
      scores.map((s) => byCut(s, cut)),
      LABELS,
    ).macroF1;
    if (f1 > best.f1) best = { f1, cut };
  }
  const lat = await latencies(lex.score);
  const speed = speeds[lex.name]!;
  rows.push({
    name: lex.name,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    tunedF1: `${best.f1.toFixed(3)} @${best.cut}`,
    perSec: speed.perSec,
    perCpuSec: speed.perCpuSec,
    ratio: ratioToVader(lex.name),
    ...lat,
  });
}

const lat1 = await latencies((t) => model.predict([t]));
const batchMs: number[] = [];
for (let i = 0; i + BATCH <= texts.length; i += BATCH) {
  const s = performance.now();
  await model.predict(texts.slice(i, i + BATCH));
  batchMs.push(performance.now() - s);
}
batchMs.sort((a, b) => a - b);
await model.close();
const batched = speeds.batch!;
const single = speeds.single!;
rows.push({
  name: `ours (${model.name} ${model.version}), batch 32`,
  accuracy: ours.accuracy,
  macroF1: ours.macroF1,
  perSec: batched.perSec,
  perCpuSec: batched.perCpuSec,
  ratio: ratioToVader('batch'),
  ...lat1,
});

// Through a Piscina pool (one thread per core), as the collector runs it: tasks of 32 texts.
const threads = cpus().length;
const pool = new Piscina({ filename: workerPath(), minThreads: threads, maxThreads: threads });
const runAll = () => {
  const tasks: Promise<SentimentResult[]>[] = [];
  for (let i = 0; i < texts.length; i += BATCH) tasks.push(pool.run({ texts: texts.slice(i, i + BATCH) }));
  return Promise.all(tasks);
};
await runAll(); // warm-up: every thread loads the model once
const poolStart = performance.now();
let pooled = 0;
while (performance.now() - poolStart < 3000) {
  await runAll();
  pooled += texts.length;
}
const poolPerSec = pooled / ((performance.now() - poolStart) / 1000);
await pool.destroy();

const vaderRow = rows[0]!;
const bestLexicon = rows.slice(0, 3).reduce((a, b) => (b.macroF1 > a.macroF1 ? b : a));
const f = (x: number, d = 3) => x.toFixed(d);
console.log(
  `dev: ${devPath} (${texts.length} texts); node ${process.version}; ${new Date().toISOString()}\n`,
);
console.log(
  '| model | accuracy | macro-F1 | macro-F1, cut-off tuned on dev | texts/s (1 thread) | texts/CPU-s | x VADER (CPU) | p50 ms | p99 ms |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${f(r.accuracy)} | ${f(r.macroF1)} | ${r.tunedF1 ?? '-'} | ${Math.round(r.perSec)} | ${Math.round(r.perCpuSec)} | ${f(r.ratio, 1)} | ${f(r.p50, 4)} | ${f(r.p99, 4)} |`,
  );
}
console.log(
  `\nours vs best lexicon (${bestLexicon.name}): macro-F1 ${f((ours.macroF1 - bestLexicon.macroF1) * 100, 1)} points`,
);
console.log(`ours per-class F1: ${LABELS.map((l) => `${l} ${f(ours.perClass[l]!.f1)}`).join(', ')}`);
console.log(
  `ours one-by-one: ${Math.round(single.perSec)} texts/s (${Math.round(single.perCpuSec)} per CPU-s); batch of 32: ${Math.round(batched.perSec)} texts/s -> batch speed-up x${f(batched.perSec / single.perSec, 1)}`,
);
console.log(
  `ours batch-of-32 call latency: p50 ${f(percentile(batchMs, 0.5))} ms, p99 ${f(percentile(batchMs, 0.99))} ms`,
);
console.log(`ours vs VADER texts/s (wall, 1 thread): x${f(batched.perSec / vaderRow.perSec, 1)}`);
console.log(
  `ours through a Piscina pool of ${threads} threads, tasks of 32: ${Math.round(poolPerSec)} texts/s`,
);
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores)`,
);
