import { defineConfig } from 'tsup';

export default defineConfig({
  // worker.ts is the Piscina entry (dist/worker.js): the collector points its pool at workerPath().
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // import.meta.url (used to find model/ and the worker file) also works in the CJS build.
  shims: true,
  external: ['onnxruntime-node'],
});
