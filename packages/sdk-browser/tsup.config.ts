import { defineConfig, type Options } from 'tsup';

/**
 * The <script> snippet build: one self-contained, minified IIFE (dist/heed.global.js). Terser
 * writes about 6% less than esbuild's minifier. Its options were chosen by measuring the gzipped
 * output (which is what the 3.5 KB budget counts), not the minified length: two compress passes,
 * and `module`, came out smallest; moving function declarations up (`hoist_funs`) made it larger.
 * `module` also drops the "use strict" directive (9 bytes). The code behaves the same without it:
 * it never uses `this` or `arguments`, declares every name it assigns, and writes no read-only
 * property; the IIFE keeps it out of the page's scope either way.
 *
 * `unsafe` lets Terser assume the built-ins behave as specified; in this code its only effect is to
 * write template strings as concatenations (`${a}b` as a+"b"), which differ only for objects whose
 * valueOf and toString disagree, and every value interpolated here is a string, a number, an
 * error's message, or a thrown value (none of which has its own valueOf).
 */
export const snippetBuild: Options = {
  entry: { heed: 'src/snippet.ts' },
  format: ['iife'],
  minify: 'terser',
  terserOptions: {
    ecma: 2020,
    toplevel: true,
    module: true,
    compress: { passes: 2, unsafe_arrows: true, pure_getters: true, unsafe: true },
  },
  // sdk-core leaves out what only servers need (timer unref, the validate seam) when this is set
  define: { 'globalThis.HEED_SCRIPT_BUILD': 'true' },
  noExternal: [/.*/],
  target: 'es2022',
  platform: 'browser',
};

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
  },
  snippetBuild,
]);
