// Builds the dashboard (index.html + content-hashed JS/CSS) and the widget script into dist/.
// Prints the sizes (minified, and gzipped) and writes them to dist/manifest.json.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const common = {
  bundle: true,
  minify: true,
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

const app = await build({
  ...common,
  entryPoints: { app: join(root, 'src/app/main.tsx') },
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  format: 'esm',
  splitting: false,
});
const outputs = Object.keys(app.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));

await build({
  ...common,
  entryPoints: [join(root, 'src/widgets/main.ts')],
  outfile: join(dist, 'widgets.js'),
  format: 'iife',
  loader: { '.css': 'text' },
});

const html = readFileSync(join(root, 'src/index.html'), 'utf8')
  .replace('%CSS%', `/dashboard/assets/${css}`)
  .replace('%JS%', `/dashboard/assets/${js}`);
writeFileSync(join(dist, 'index.html'), html);

const size = (file) => {
  const buf = readFileSync(join(dist, file));
  return { file, bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
};
const sizes = [size(`assets/${js}`), size(`assets/${css}`), size('widgets.js'), size('index.html')];
writeFileSync(join(dist, 'manifest.json'), `${JSON.stringify({ js, css, sizes }, null, 2)}\n`);
for (const s of sizes)
  console.log(`${s.file.padEnd(36)} ${String(s.bytes).padStart(8)} B  ${String(s.gzip).padStart(7)} B gzip`);
