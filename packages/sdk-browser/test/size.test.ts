import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { buildSnippet } from './server.js';

/**
 * Issue 3's budget: the `<script>` build at most 3.5 KB (3,584 bytes) min+gzip, measured on the real
 * minified output of tsup.config.ts, gzipped at level 9. A change that grows the build past it fails
 * here: it has to pay for its bytes elsewhere first.
 */
const BUDGET_BYTES = 3_584;

it('the <script> build stays within its min+gzip budget', async () => {
  const code = await buildSnippet(); // the real minified IIFE of tsup.config.ts
  const gzipped = gzipSync(code, { level: 9 }).length;
  expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  expect(code.length).toBeGreaterThan(gzipped); // it is the minified file, not an empty build
});
