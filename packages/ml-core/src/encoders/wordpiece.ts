import type { WordPieceConfig } from '../manifest.js';
import { preprocess } from '../preprocess.js';
import type { InputTensor, TextEncoder } from './types.js';

const PUNCT_RE = /[\p{P}\p{S}]/u;

/** BERT basic tokenization: optional lowercase + accent stripping, split on whitespace and punctuation. */
function basicTokens(text: string, lowercase: boolean): string[] {
  const t = lowercase
    ? text
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
    : text;
  const out: string[] = [];
  for (const word of t.split(/\s+/)) {
    let current = '';
    for (const ch of word) {
      if (PUNCT_RE.test(ch)) {
        if (current) out.push(current);
        out.push(ch);
        current = '';
      } else current += ch;
    }
    if (current) out.push(current);
  }
  return out;
}

/**
 * A WordPiece tokenizer (greedy longest match, `##` continuations) producing `input_ids`,
 * `attention_mask` and, when the model declares it, `token_type_ids`, as BERT-style ONNX exports expect.
 * Texts go through {@link preprocess} first (lowercasing only if the config asks for it).
 */
export function wordPieceEncoder(config: WordPieceConfig, vocabText: string): TextEncoder {
  const vocab = new Map<string, number>();
  vocabText.split(/\r?\n/).forEach((tok, i) => {
    if (tok !== '' && !vocab.has(tok)) vocab.set(tok, i);
  });
  const id = (tok: string) => {
    const v = vocab.get(tok);
    if (v === undefined) throw new Error(`vocabulary lacks ${tok}`);
    return v;
  };
  const cls = id('[CLS]');
  const sep = id('[SEP]');
  const unk = id('[UNK]');
  const pad = vocab.get('[PAD]') ?? 0;
  const maxLength = config.maxLength ?? 128;
  const lowercase = config.lowercase ?? true;

  const pieces = (word: string): number[] => {
    if (word.length > 100) return [unk];
    const ids: number[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + word.slice(start, end);
        found = vocab.get(sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [unk];
      ids.push(found);
      start = end;
    }
    return ids;
  };

  return {
    encode(texts, inputNames) {
      const rows = texts.map((text) => {
        // preprocess() lowercases; cased models get the placeholders and whitespace clean-up only.
        const clean = lowercase ? preprocess(text) : text.replace(/\s+/g, ' ').trim();
        const ids = [cls];
        for (const tok of basicTokens(clean, lowercase)) {
          for (const p of pieces(tok)) ids.push(p);
          if (ids.length >= maxLength - 1) break;
        }
        ids.length = Math.min(ids.length, maxLength - 1);
        ids.push(sep);
        return ids;
      });
      const width = Math.max(...rows.map((r) => r.length), 2);
      const inputIds = new BigInt64Array(texts.length * width).fill(BigInt(pad));
      const mask = new BigInt64Array(texts.length * width);
      rows.forEach((row, r) => {
        row.forEach((tokenId, j) => {
          inputIds[r * width + j] = BigInt(tokenId);
          mask[r * width + j] = 1n;
        });
      });
      const dims = [texts.length, width];
      const feeds: Record<string, InputTensor> = {
        input_ids: { type: 'int64', data: inputIds, dims },
        attention_mask: { type: 'int64', data: mask, dims },
      };
      if (inputNames.includes('token_type_ids')) {
        feeds.token_type_ids = { type: 'int64', data: new BigInt64Array(texts.length * width), dims };
      }
      return feeds;
    },
  };
}
