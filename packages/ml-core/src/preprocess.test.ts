import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, preprocess } from './preprocess.js';

describe('preprocess', () => {
  it('lowercases and collapses whitespace', () => {
    expect(preprocess('  Great\n\n SERVICE\t today  ')).toBe('great service today');
  });

  it('replaces URLs, keeping sentence punctuation out of them', () => {
    expect(preprocess('See https://Example.com/a?b=1. And www.heed.dev!')).toBe('see [URL]. and [URL]!');
  });

  it('replaces e-mail addresses', () => {
    expect(preprocess('Write to Jane.Doe+help@mail.example.co.uk please')).toBe('write to [EMAIL] please');
  });

  it('replaces standalone numbers but not words containing digits', () => {
    expect(preprocess('Order 12345 cost $1,299.99 (10%), 2nd try on my mp3')).toBe(
      'order [NUM] cost $[NUM] ([NUM]%), 2nd try on my mp3',
    );
  });

  it('truncates long texts to MAX_TEXT_LENGTH', () => {
    const out = preprocess('word '.repeat(5_000));
    expect(out.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(out.startsWith('word word')).toBe(true);
  });

  it('does not split a surrogate pair when truncating', () => {
    const out = preprocess(`${'a'.repeat(9)}😀😀`, 10);
    expect(out).toBe('a'.repeat(9));
  });

  it('returns an empty string for blank input', () => {
    expect(preprocess(' \n\t ')).toBe('');
  });
});
