import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashedEncoder } from './encoders/hashed.js';
import type { TextEncoder } from './encoders/types.js';
import { wordPieceEncoder } from './encoders/wordpiece.js';
import type { Lexicon } from './features.js';
import { LABELS, type ModelManifest, type SentimentLabel } from './manifest.js';
import type { SentimentModel } from './model.js';
import { createOnnxModel, type OnnxModelOptions } from './onnx/session.js';

/** Directory of the model that ships with @heed/ml-core (`model/` in the package). */
export function defaultModelDir(): string {
  return fileURLToPath(new URL('../model', import.meta.url));
}

/**
 * Absolute path of the Piscina worker file (`dist/worker.js`), for `new Piscina({ filename: workerPath() })`.
 */
export function workerPath(): string {
  for (const candidate of ['./worker.js', '../dist/worker.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('@heed/ml-core worker not found: build the package (dist/worker.js)');
}

const LABEL_ALIASES: Record<string, SentimentLabel> = {
  positive: 'positive',
  pos: 'positive',
  negative: 'negative',
  neg: 'negative',
  neutral: 'neutral',
  neu: 'neutral',
};

function toLabel(name: string, dir: string): SentimentLabel {
  const label = LABEL_ALIASES[name.trim().toLowerCase()];
  if (!label) throw new Error(`${dir}: label "${name}" is not one of ${LABELS.join(', ')} (or pos/neg/neu)`);
  return label;
}

function readLexicon(path: string): Lexicon {
  const raw = readJson(path);
  if (!raw || typeof raw !== 'object') throw new Error(`${path}: expected a JSON object of word -> valence`);
  return new Map(
    Object.entries(raw as Record<string, unknown>).filter(
      (e): e is [string, number] => typeof e[1] === 'number',
    ),
  );
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * Reads a model directory's description. Either `model.json` (see {@link ModelManifest}), or a
 * Hugging Face style export: `config.json` with `id2label`, `vocab.txt` and `model.onnx`.
 */
export function readManifest(dir: string): ModelManifest {
  const manifestPath = join(dir, 'model.json');
  if (existsSync(manifestPath)) {
    const m = readJson(manifestPath) as Partial<ModelManifest>;
    if (!m || typeof m !== 'object') throw new Error(`${manifestPath}: not a JSON object`);
    if (!Array.isArray(m.labels) || m.labels.length === 0)
      throw new Error(`${manifestPath}: labels must be a non-empty array`);
    if (!m.featurizer || (m.featurizer.type !== 'hashed-ngrams' && m.featurizer.type !== 'wordpiece')) {
      throw new Error(`${manifestPath}: featurizer.type must be "hashed-ngrams" or "wordpiece"`);
    }
    return { name: m.name ?? basename(dir), version: m.version ?? '0.0.0', ...m } as ModelManifest;
  }
  const hfConfig = join(dir, 'config.json');
  if (existsSync(hfConfig)) {
    const cfg = readJson(hfConfig) as { id2label?: Record<string, string>; _name_or_path?: string };
    if (!cfg.id2label) throw new Error(`${hfConfig}: no id2label; add a model.json`);
    const ids = Object.keys(cfg.id2label)
      .map(Number)
      .sort((a, b) => a - b);
    const tokCfgPath = join(dir, 'tokenizer_config.json');
    const tokCfg = existsSync(tokCfgPath)
      ? (readJson(tokCfgPath) as { do_lower_case?: boolean; model_max_length?: number })
      : {};
    return {
      name: cfg._name_or_path || basename(dir),
      version: '0.0.0',
      labels: ids.map((i) => cfg.id2label![String(i)]!),
      featurizer: {
        type: 'wordpiece',
        lowercase: tokCfg.do_lower_case ?? true,
        maxLength: Math.min(tokCfg.model_max_length ?? 128, 512),
      },
      outputKind: 'logits',
    };
  }
  throw new Error(`${dir}: no model.json (or config.json) found`);
}

/**
 * Loads a sentiment model from a directory (default: the bundled model). The directory holds the
 * ONNX file, and `model.json` with the label map and featurizer config (plus `vocab.txt` for
 * WordPiece models). Nothing is fetched over the network.
 */
export async function loadSentimentModel(
  dir: string = defaultModelDir(),
  options: OnnxModelOptions = {},
): Promise<SentimentModel> {
  const root = resolve(dir);
  const manifest = readManifest(root);
  const labels = manifest.labels.map((l) => toLabel(l, root));
  if (new Set(labels).size !== labels.length) throw new Error(`${root}: a label appears twice`);
  let encoder: TextEncoder;
  const f = manifest.featurizer;
  if (f.type === 'hashed-ngrams')
    encoder = hashedEncoder(f, f.lexicon ? readLexicon(join(root, f.lexicon)) : undefined);
  else encoder = wordPieceEncoder(f, readFileSync(join(root, f.vocab ?? 'vocab.txt'), 'utf8'));
  return createOnnxModel(
    {
      name: manifest.name,
      version: manifest.version,
      modelPath: join(root, manifest.file ?? 'model.onnx'),
      labels,
      encoder,
      output: manifest.output,
      outputKind: manifest.outputKind ?? (f.type === 'wordpiece' ? 'logits' : 'probabilities'),
    },
    options,
  );
}
