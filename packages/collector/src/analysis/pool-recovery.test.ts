import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '@heed/ml-core';
import { afterAll, describe, expect, it } from 'vitest';
import { SentimentPool } from './pool.js';

describe('analysis pool with a missing model', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'heed-model-')), 'model');
  const pool = new SentimentPool({ threads: 1, modelDir: dir, modelRetryMs: 200 });
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says why it is down, and picks the model up once the files are there, without a restart', async () => {
    await expect(pool.predict(['great service'])).rejects.toMatchObject({ status: 503 });
    expect(pool.available).toBe(false);
    expect(pool.failure).toMatch(/model|ENOENT/i);
    // still down within the wait: no storm of load attempts
    await expect(pool.predict(['great service'])).rejects.toMatchObject({ status: 503 });

    cpSync(defaultModelDir(), dir, { recursive: true }); // the operator fixes the files
    await new Promise((r) => setTimeout(r, 250));
    expect(pool.available).toBe(true);
    const [result] = await pool.predict(['great service, thank you']);
    expect(result?.label).toBe('positive');
    expect(pool.failure).toBeUndefined();
  });
});
