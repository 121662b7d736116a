import { ValidationError } from '@heed/sdk-core';
import { describe, expect, it } from 'vitest';
import { createHeed } from './client.js';
import { loaderSnippet } from './loader.js';

describe('settings checks', () => {
  it('loaderSnippet refuses wrong settings, naming the field, since the script build trusts its line', () => {
    const base = { src: '/heed.js', writeKey: 'wk_1', host: 'https://heed.example.com' };
    expect(loaderSnippet(base)).toContain('heed.init({"writeKey":"wk_1","host":"https://heed.example.com"})');
    expect(() => loaderSnippet({ ...base, settings: { flushAt: 0 } })).toThrow(ValidationError);
    expect(() => loaderSnippet({ ...base, settings: { sessionTimeoutMs: -1 } })).toThrow(/sessionTimeoutMs/);
    expect(() => loaderSnippet({ ...base, host: 'heed.example.com' })).toThrow(/host/);
    expect(() => loaderSnippet({ ...base, settings: { leaseMs: 1000, timeoutMs: 5000 } })).toThrow(/leaseMs/);
  });

  it('createHeed (the npm build) checks settings before touching the page', () => {
    expect(() => createHeed({ writeKey: '', host: 'https://heed.example.com' })).toThrow(/writeKey/);
    expect(() => createHeed({ writeKey: 'wk', host: 'https://h.example', maxBatchSize: 5000 })).toThrow(
      /maxBatchSize not in 1..1000/,
    );
  });
});
