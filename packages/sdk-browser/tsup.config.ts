import { defineConfig, type Options } from 'tsup';

/** The <script> snippet build: one self-contained, minified IIFE (dist/heed.global.js). */
export const snippetBuild: Options = {
  entry: { heed: 'src/snippet.ts' },
  format: ['iife'],
  minify: true,
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
