import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the SDK as a plain ESM file a child process can import (under node_modules: ignored by git). */
export async function buildForChild(script: string): Promise<string> {
  const outDir = join(pkg, 'node_modules', '.heed-test');
  mkdirSync(outDir, { recursive: true });
  await build({
    entry: { index: join(pkg, 'src/index.ts') },
    format: ['esm'],
    outDir,
    silent: true,
    dts: false,
    sourcemap: false,
    noExternal: [/^@heed\//],
    external: ['undici'],
    target: 'node20',
    config: false,
  });
  const file = join(outDir, 'child.mjs');
  writeFileSync(file, script);
  return file;
}
