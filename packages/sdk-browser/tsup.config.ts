import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
  },
  {
    // The <script> snippet build: one self-contained, minified IIFE (dist/heed.global.js).
    entry: { heed: 'src/snippet.ts' },
    format: ['iife'],
    minify: true,
    noExternal: [/.*/],
    target: 'es2022',
    platform: 'browser',
  },
]);
