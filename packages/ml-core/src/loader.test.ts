import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { featurize, type HashedNgramConfig } from './features.js';
import { loadSentimentModel, readManifest } from './loader.js';
import { buildHashedLinearModel } from './onnx/hashed-linear.js';
import { DataType, encodeModel, floatBytes } from './onnx/proto.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'heed-model-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bring your own hashed n-gram model', () => {
  it('loads a model directory and uses its label order', async () => {
    const featurizer: HashedNgramConfig = {
      type: 'hashed-ngrams',
      buckets: 1024,
      wordNgrams: 1,
      charNgrams: null,
      negation: false,
      maxFeatures: 64,
      seed: 1,
    };
    const bucket = (w: string) => featurize(w, featurizer).indices[0]!;
    const [yay, boo] = [bucket('yay'), bucket('boo')];
    expect(yay).not.toBe(boo);
    // Columns in the order of labels below: positive, neutral, negative.
    const weights = new Float32Array(1024 * 3);
    weights.set([8, 0, 0], yay * 3);
    weights.set([0, 0, 8], boo * 3);
    const dir = tempDir();
    writeFileSync(
      join(dir, 'tiny.onnx'),
      buildHashedLinearModel({ buckets: 1024, classes: 3, weights, bias: Float32Array.from([0, 1, 0]) }),
    );
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({
        name: 'tiny',
        version: '0.0.1',
        file: 'tiny.onnx',
        labels: ['Positive', 'neutral', 'NEG'],
        featurizer,
      }),
    );

    const model = await loadSentimentModel(dir);
    const [a, b, c] = await model.predict(['yay', 'boo', 'something else']);
    await model.close();
    expect(model.name).toBe('tiny');
    expect([a!.label, b!.label, c!.label]).toEqual(['positive', 'negative', 'neutral']);
    expect(a!.confidence).toBeGreaterThan(0.99);
  });

  it('explains what is wrong with a bad label map', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ name: 'x', labels: [], featurizer: { type: 'hashed-ngrams' } }),
    );
    expect(() => readManifest(dir)).toThrow(/labels must be a non-empty array/);
  });

  it('rejects labels it cannot map to positive/negative/neutral', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ name: 'x', labels: ['LABEL_0'], featurizer: { type: 'wordpiece' } }),
    );
    await expect(loadSentimentModel(dir)).rejects.toThrow(/LABEL_0/);
  });
});

/** A 2-class BERT-shaped toy: logits = sum over unmasked tokens of an embedding row. */
function tinyTransformerLike(vocabSize: number, embeddings: number[][]): Uint8Array {
  const int64 = (name: string, v: number) => ({
    name,
    dataType: DataType.INT64,
    dims: [1],
    raw: new Uint8Array(BigInt64Array.from([BigInt(v)]).buffer),
  });
  return encodeModel({
    graphName: 'toy',
    opset: 13,
    initializers: [
      {
        name: 'E',
        dataType: DataType.FLOAT,
        dims: [vocabSize, 2],
        raw: floatBytes(Float32Array.from(embeddings.flat())),
      },
      int64('axis1', 1),
      int64('axis2', 2),
    ],
    inputs: [
      { name: 'input_ids', elemType: DataType.INT64, shape: ['batch', 'seq'] },
      { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch', 'seq'] },
    ],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 2] }],
    nodes: [
      { opType: 'Gather', inputs: ['E', 'input_ids'], outputs: ['emb'] },
      {
        opType: 'Cast',
        inputs: ['attention_mask'],
        outputs: ['maskf'],
        attributes: { to: { kind: 'int', value: DataType.FLOAT } },
      },
      { opType: 'Unsqueeze', inputs: ['maskf', 'axis2'], outputs: ['mask3'] },
      { opType: 'Mul', inputs: ['emb', 'mask3'], outputs: ['masked'] },
      {
        opType: 'ReduceSum',
        inputs: ['masked', 'axis1'],
        outputs: ['logits'],
        attributes: { keepdims: { kind: 'int', value: 0 } },
      },
    ],
  });
}

describe('bring your own transformer-style model (Hugging Face layout)', () => {
  it('tokenizes with WordPiece, reads id2label and applies softmax to logits', async () => {
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'good', 'bad', '##ness', 'movie'];
    const emb = vocab.map(() => [0, 0]);
    emb[4] = [0, 4]; // good -> positive
    emb[5] = [4, 0]; // bad -> negative
    emb[6] = [0, 2]; // ##ness -> positive
    const dir = tempDir();
    writeFileSync(join(dir, 'model.onnx'), tinyTransformerLike(vocab.length, emb));
    writeFileSync(join(dir, 'vocab.txt'), vocab.join('\n'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' } }));

    const model = await loadSentimentModel(dir);
    const [good, bad, badness] = await model.predict(['Good movie', 'BAD movie!', 'badness']);
    await model.close();
    expect(good!.label).toBe('positive');
    expect(good!.scores.positive).toBeCloseTo(1 / (1 + Math.exp(-4)), 4);
    expect(good!.scores.neutral).toBe(0);
    expect(bad!.label).toBe('negative');
    // "badness" -> bad + ##ness: 4 vs 2 in favour of negative.
    expect(badness!.scores.negative).toBeCloseTo(1 / (1 + Math.exp(-2)), 4);
  });
});
