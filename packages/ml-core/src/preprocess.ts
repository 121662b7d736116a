/**
 * Text normalisation applied before any model sees a text (seed requirements 3.6-3.9).
 */

/**
 * Longest text (in UTF-16 code units, after normalisation) that a model sees. Customer messages
 * past this length are truncated: sentiment is carried by the opening of a message far more often
 * than by the tail, and the cap bounds feature extraction and inference time per text.
 */
export const MAX_TEXT_LENGTH = 2_000;

/** Placeholders substituted for URLs, e-mail addresses and numbers. */
export const PLACEHOLDERS = { url: '[URL]', email: '[EMAIL]', number: '[NUM]' } as const;

// Trailing sentence punctuation is not part of the URL ("see https://x.io.").
const URL_RE = /\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>"]*[^\s<>".,;:!?)\]']/g;
const EMAIL_RE = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/g;
// A standalone number: digits with optional thousands/decimal separators, not glued to letters
// ("2nd", "mp3" and "b4" stay words).
const NUMBER_RE = /(?<![\p{L}\p{N}_])\d+(?:[.,]\d+)*(?![\p{L}\p{N}_])/gu;
const WHITESPACE_RE = /\s+/g;
const DIGIT_RE = /\d/;
// Whitespace that needs collapsing: a run of two or more, or any whitespace other than a plain space.
const MESSY_SPACE_RE = /\s\s|[^\S ]/;

/**
 * Normalises a text for the sentiment model:
 * - lowercased;
 * - URLs -> `[URL]`, e-mail addresses -> `[EMAIL]`, standalone numbers -> `[NUM]`;
 * - runs of whitespace (including newlines and tabs) collapsed to one space, ends trimmed;
 * - truncated to {@link MAX_TEXT_LENGTH} code units without splitting a surrogate pair.
 */
export function preprocess(text: string, maxLength: number = MAX_TEXT_LENGTH): string {
  // Bound the work done by the regular expressions on very long inputs before normalising.
  const head = text.length > maxLength * 4 ? text.slice(0, maxLength * 4) : text;
  let normalised = head.toLowerCase();
  // Cheap guards skip the regular expressions that cannot match (most texts have no URL or e-mail).
  if (normalised.includes('://') || normalised.includes('www.'))
    normalised = normalised.replace(URL_RE, PLACEHOLDERS.url);
  if (mayHaveEmail(normalised)) normalised = normalised.replace(EMAIL_RE, PLACEHOLDERS.email);
  if (DIGIT_RE.test(normalised)) normalised = normalised.replace(NUMBER_RE, PLACEHOLDERS.number);
  if (MESSY_SPACE_RE.test(normalised)) normalised = normalised.replace(WHITESPACE_RE, ' ');
  normalised = normalised.trim();
  return truncate(normalised, maxLength);
}

/** True when some "@" is followed by a "." before the next space: the only shape an address can have. */
function mayHaveEmail(text: string): boolean {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    for (let i = at + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 46 /* . */) return true;
      if (c <= 32) break;
    }
  }
  return false;
}

function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not cut a surrogate pair in half
  return text.slice(0, end).trimEnd();
}
