import { preprocess } from './preprocess.js';

/**
 * Feature configuration of the hashed n-gram models (fastText-like). Stored next to the ONNX file
 * (`model.json` -> `featurizer`) so that training and inference extract exactly the same features.
 */
export interface HashedNgramConfig {
  type: 'hashed-ngrams';
  /** Number of hash buckets; a power of two. */
  buckets: number;
  /** Highest word n-gram order (1 = unigrams, 2 = + bigrams, 3 = + trigrams). */
  wordNgrams: number;
  /** Inclusive [min, max] length of character n-grams taken inside `<word>`, or null for none. */
  charNgrams: [number, number] | null;
  /** Mark words after a negation ("not", "never", "n't"...) until punctuation or 3 words. */
  negation: boolean;
  /** At most this many features per text (the rest are dropped). */
  maxFeatures: number;
  /** Hash seed. */
  seed: number;
  /** Count each feature once per text (presence instead of frequency). Default false. */
  binary?: boolean;
  /** Optional lexicon file (JSON object word -> valence) in the model directory, e.g. `lexicon.json`. */
  lexicon?: string;
}

/** Indices of hashed features of one text; each feature's value is 1/sqrt(count). */
export interface SparseFeatures {
  indices: Int32Array;
  count: number;
}

const TOKEN_RE =
  /\[(?:URL|EMAIL|NUM)\]|@[\p{L}\p{N}_]+|<3|[:;=][-'o^]?[)(\][dpo3/\\|*]|[\p{L}\p{N}_'’]+|\p{Extended_Pictographic}|[!?]+|[.,;:]+/gu;
const PUNCT_RUN_RE = /^[.,;:]+$/;
const NEGATIONS = new Set([
  'not',
  'no',
  'never',
  'cannot',
  'nothing',
  'nobody',
  'none',
  'nor',
  'neither',
  'nowhere',
  'without',
  'dont',
  'cant',
  'wont',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'didnt',
  'doesnt',
  'couldnt',
  'shouldnt',
  'wouldnt',
  'aint',
  'havent',
  'hasnt',
]);
const NEGATION_SCOPE = 3;

/** Splits a preprocessed text into normalised tokens (mentions -> @user, hashtags -> word, elongations shortened). */
export function tokenize(normalised: string): string[] {
  const tokens: string[] = [];
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(normalised); m !== null; m = TOKEN_RE.exec(normalised)) {
    let t = m[0];
    const c = t.charCodeAt(0);
    if (c === 64 /* @ */) t = '@user';
    else if (c === 33 || c === 63 /* ! ? */)
      t = t.length > 1 ? (t.includes('?') && t.includes('!') ? '?!' : t.slice(0, 2)) : t;
    else if (PUNCT_RUN_RE.test(t)) t = t[0] === '.' && t.length > 1 ? '...' : t.slice(0, 1);
    else if (t.length > 2) t = normaliseWord(t);
    tokens.push(t);
  }
  return tokens;
}

/** Curly apostrophes -> straight; runs of 3+ identical characters -> 2 ("soooo" -> "soo"). */
function normaliseWord(t: string): string {
  let w = t.includes('’') ? t.replace(/’/g, "'") : t;
  for (let i = 2; i < w.length; i++) {
    if (w.charCodeAt(i) === w.charCodeAt(i - 1) && w.charCodeAt(i) === w.charCodeAt(i - 2)) {
      w = w.replace(/(.)\1{2,}/g, '$1$1');
      break;
    }
  }
  return w;
}

function isWord(token: string): boolean {
  const c = token.charCodeAt(0);
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 127 || c === 39 || c === 95;
}

function isNegation(token: string): boolean {
  // Cheap pre-check: every negation ends in o, r, t, e, g, n or y ("no", "nor", "not", "none"...).
  const last = token.charCodeAt(token.length - 1);
  if (
    last !== 111 &&
    last !== 114 &&
    last !== 116 &&
    last !== 101 &&
    last !== 103 &&
    last !== 110 &&
    last !== 121
  )
    return false;
  return NEGATIONS.has(token) || token.endsWith("n't");
}

function fnv(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const SALT = { word: 0x1f, negated: 0x2e, char: 0x3d, lexicon: 0x4c00 } as const;

/** Word -> valence (about -4..+4), e.g. the VADER lexicon. */
export type Lexicon = ReadonlyMap<string, number>;

/**
 * Extracts hashed features of a raw text: {@link preprocess}, {@link tokenize}, then word n-grams
 * (negated unigrams get their own namespace), character n-grams of each word and, with a lexicon,
 * polarity-strength features of the lexicon words (flipped under negation) and of their summed valence.
 */
export function featurize(
  text: string,
  config: HashedNgramConfig,
  out?: Int32Array,
  lexicon?: Lexicon,
): SparseFeatures {
  const tokens = tokenize(preprocess(text));
  const indices = out ?? new Int32Array(config.maxFeatures);
  const limit = Math.min(indices.length, config.maxFeatures);
  const mask = config.buckets - 1;
  const seed = config.seed;
  let n = 0;
  const hashes: number[] = new Array(tokens.length);
  let negatedLeft = 0;
  let valence = 0;
  let hits = 0;
  for (let i = 0; i < tokens.length && n < limit; i++) {
    const t = tokens[i]!;
    const word = isWord(t);
    const h = fnv(t, seed ^ SALT.word);
    hashes[i] = h;
    const negated = config.negation && negatedLeft > 0 && word;
    indices[n++] = negated ? fnv(t, seed ^ SALT.negated) & mask : h & mask;
    if (negated) negatedLeft--;
    if (config.negation) {
      if (word && isNegation(t)) negatedLeft = NEGATION_SCOPE;
      else if (!word) negatedLeft = 0;
    }
    const v = lexicon?.get(t);
    if (v !== undefined && n < limit) {
      const signed = negated ? -v : v;
      const strength = Math.abs(v) < 1.5 ? 1 : Math.abs(v) < 2.5 ? 2 : 3;
      indices[n++] = fnv(signed >= 0 ? 'lex+' : 'lex-', seed ^ SALT.lexicon ^ strength) & mask;
      valence += signed;
      hits++;
    }
  }
  if (hits > 0 && n < limit) {
    const bucket = Math.max(-6, Math.min(6, Math.round(valence)));
    indices[n++] = fnv('lexsum', seed ^ SALT.lexicon ^ ((bucket + 16) << 4)) & mask;
  }
  for (let order = 2; order <= config.wordNgrams; order++) {
    for (let i = 0; i + order <= tokens.length && n < limit; i++) {
      let h = mix(hashes[i]!, order);
      for (let k = 1; k < order; k++) h = mix(h, hashes[i + k]!);
      indices[n++] = h & mask;
    }
  }
  if (config.charNgrams) n = charNgrams(tokens, config, indices, n, limit);
  if (config.binary) n = dedupe(indices, n);
  return { indices, count: n };
}

// Open-addressing set reused across calls; a slot is live when its stamp equals the current one.
const SET_SIZE = 4096;
const setKeys = new Int32Array(SET_SIZE);
const setStamps = new Uint32Array(SET_SIZE);
let stamp = 0;

/** Removes repeated indices in place (first occurrence kept, order preserved); returns the new count. */
function dedupe(indices: Int32Array, n: number): number {
  if (n > SET_SIZE / 2) {
    const unique = [...new Set(indices.subarray(0, n))];
    indices.set(unique);
    return unique.length;
  }
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    setStamps.fill(0);
    stamp = 1;
  }
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const v = indices[i]!;
    let slot = Math.imul(v, 0x9e3779b1) >>> 20; // top 12 bits: SET_SIZE = 2^12
    while (setStamps[slot] === stamp && setKeys[slot] !== v) slot = (slot + 1) & (SET_SIZE - 1);
    if (setStamps[slot] === stamp) continue;
    setStamps[slot] = stamp;
    setKeys[slot] = v;
    indices[kept++] = v;
  }
  return kept;
}

function charNgrams(
  tokens: string[],
  config: HashedNgramConfig,
  out: Int32Array,
  start: number,
  limit: number,
): number {
  const [min, max] = config.charNgrams!;
  const mask = config.buckets - 1;
  const salt = (0x811c9dc5 ^ config.seed ^ SALT.char) >>> 0;
  let n = start;
  for (const t of tokens) {
    if (!isWord(t) || t.length < 2) continue;
    // Positions 0 and len-1 are the virtual boundary marks '<' and '>' around the word.
    const len = t.length + 2;
    // One FNV pass per start position yields the n-grams of every length from that position.
    for (let s = 0; s + min <= len; s++) {
      let h = salt;
      const end = Math.min(len, s + max);
      for (let k = s; k < end; k++) {
        h ^= k === 0 ? 60 : k === len - 1 ? 62 : t.charCodeAt(k - 1);
        h = Math.imul(h, 0x01000193);
        if (k - s + 1 >= min) {
          if (n >= limit) return n;
          out[n++] = (h >>> 0) & mask;
        }
      }
    }
  }
  return n;
}
