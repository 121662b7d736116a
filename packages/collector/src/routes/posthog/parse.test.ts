import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HeedError } from '../../errors.js';
import { decodePosthogBody, isGzip, sentAtFromQuery, splitPosthogPayload } from './parse.js';

const event = { event: 'Clicked', distinct_id: 'u1', properties: { token: 'hk_w_key' } };
const text = JSON.stringify([event]);
const decode = (raw: Buffer | string, contentType = 'application/json', compression?: string) =>
  JSON.parse(
    decodePosthogBody(typeof raw === 'string' ? Buffer.from(raw) : raw, {
      contentType,
      compression,
      maxBytes: 500 * 1024,
    }).toString('utf8'),
  );
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HeedError ? err.code : String(err);
  }
  return 'no error';
};

describe('decodePosthogBody', () => {
  it('passes plain JSON through', () => {
    expect(decode(text)).toEqual([event]);
  });

  it('inflates gzip found by its magic bytes, with or without a compression flag', () => {
    const gz = gzipSync(text);
    expect(isGzip(gz)).toBe(true);
    expect(decode(gz, 'text/plain', 'gzip-js')).toEqual([event]);
    expect(decode(gz, 'text/plain')).toEqual([event]);
    expect(decode(gz, 'application/json', 'base64')).toEqual([event]); // the bytes win over a wrong flag
  });

  it('trusts the bytes, not a gzip flag on a body that is not gzip', () => {
    expect(decode(text, 'text/plain', 'gzip-js')).toEqual([event]);
  });

  it('decodes data= base64 form bodies (compression=base64, in the query or the form)', () => {
    const b64 = Buffer.from(text).toString('base64');
    const form = `data=${encodeURIComponent(b64)}`;
    expect(decode(form, 'application/x-www-form-urlencoded', 'base64')).toEqual([event]);
    expect(decode(`${form}&compression=base64`, 'application/x-www-form-urlencoded')).toEqual([event]);
    // '+' left unescaped by a careless client becomes a space in a form: still decoded
    const withPlus = Buffer.from(JSON.stringify({ event: '>>>?', distinct_id: 'u' })).toString('base64');
    expect(withPlus).toContain('+');
    expect(decode(`data=${withPlus}`, 'application/x-www-form-urlencoded')).toMatchObject({ event: '>>>?' });
  });

  it('takes data= forms without a content type, and forms holding plain JSON', () => {
    expect(decode(`data=${encodeURIComponent(text)}`, '')).toEqual([event]);
  });

  it('decodes a bare base64 body, and gzip inside base64', () => {
    expect(decode(Buffer.from(text).toString('base64'), 'text/plain')).toEqual([event]);
    expect(decode(gzipSync(text).toString('base64'), 'text/plain', 'base64')).toEqual([event]);
  });

  it('refuses lz64, a form without data, broken gzip, and gzip that inflates past the limit', () => {
    expect(codeOf(() => decode('N4Ig', 'text/plain', 'lz64'))).toBe('bad_request');
    expect(codeOf(() => decode('foo=bar', 'application/x-www-form-urlencoded'))).toBe('bad_request');
    expect(codeOf(() => decode(Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), 'text/plain'))).toBe('bad_request');
    const bomb = gzipSync(Buffer.alloc(600 * 1024, 0x20));
    expect(codeOf(() => decode(bomb, 'text/plain'))).toBe('payload_too_large');
  });
});

describe('splitPosthogPayload', () => {
  it('reads a batch: api_key (or token) and sent_at from the envelope', () => {
    const sentAt = '2026-01-01T00:00:00.000Z';
    expect(splitPosthogPayload({ api_key: 'k', batch: [event], sent_at: sentAt })).toEqual({
      events: [event],
      token: 'k',
      sentAt: Date.parse(sentAt),
    });
    expect(splitPosthogPayload({ token: 't', batch: [event] }).token).toBe('t');
    expect(splitPosthogPayload({ batch: [event] }).token).toBe('hk_w_key');
  });

  it('reads an array of events and one event, the key from the events', () => {
    expect(splitPosthogPayload([event, event])).toMatchObject({ events: [event, event], token: 'hk_w_key' });
    expect(splitPosthogPayload({ ...event, properties: {}, api_key: 'a' }).token).toBe('a');
    expect(splitPosthogPayload({ ...event, properties: {}, $token: 'b' }).token).toBe('b');
    expect(splitPosthogPayload({ ...event, properties: {} }).token).toBeUndefined();
  });

  it('rejects bodies that are no events, empty batches and mixed keys', () => {
    expect(codeOf(() => splitPosthogPayload('hello'))).toBe('validation_failed');
    expect(codeOf(() => splitPosthogPayload([]))).toBe('validation_failed');
    expect(codeOf(() => splitPosthogPayload({ api_key: 'k', batch: {} }))).toBe('validation_failed');
    expect(codeOf(() => splitPosthogPayload([event, { ...event, properties: { token: 'other' } }]))).toBe(
      'bad_request',
    );
  });
});

describe('sentAtFromQuery', () => {
  it('takes epoch milliseconds (posthog-js ?_=), ignores seconds and junk', () => {
    expect(sentAtFromQuery('1767225600000')).toBe(1767225600000);
    expect(sentAtFromQuery('1767225600')).toBeUndefined();
    expect(sentAtFromQuery('abc')).toBeUndefined();
    expect(sentAtFromQuery(undefined)).toBeUndefined();
  });
});
