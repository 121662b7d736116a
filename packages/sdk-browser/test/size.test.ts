import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { buildSnippet } from './server.js';

/**
 * Issue 3 asks for at most 3.5 KB (3,584 bytes) min+gzip. The build is not there yet (see the SDKs
 * section of bench/RESULTS.md), so this guard is a ratchet at today's exact size: it fails as soon
 * as the snippet grows by a byte. Lower it with every cut, down to the 3.5 KB target. (Raised once,
 * from 3,902 to 3,956, on purpose: the script now refuses a line without writeKey or host with a
 * console error, instead of quietly posting to a relative URL.)
 */
const BUDGET_BYTES = 3_956;

it('the <script> build stays within its min+gzip budget', async () => {
  const code = await buildSnippet(); // the real minified IIFE of tsup.config.ts
  const gzipped = gzipSync(code, { level: 9 }).length;
  expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  expect(code.length).toBeGreaterThan(gzipped); // it is the minified file, not an empty build
});
