// Runs each benchmark in bench/ (every *.mjs and *.ts except this runner and *.tmp.* scratch files),
// one after the other, and writes each one's output into its section of bench/RESULTS.md, between
// `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`. The prose around those markers belongs to each
// benchmark's author and is kept; a benchmark without a section gets a new one at the end.
// A benchmark that accepts `--markdown` gets it (and prints its figures as Markdown tables); every
// output is laid out as Markdown here (table lines kept together, other lines as paragraphs). A
// benchmark that fails keeps its previous figures, and the runner exits non-zero.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(here, 'RESULTS.md');

/** Arguments of the figures published in RESULTS.md (sized for a shared 2-core machine). */
const ARGS = {
  ingest: ['--events', '30000'],
  'sdk-size': ['--events', '20000'],
};
/** Which section each benchmark belongs to (by heading); others get `## <name>`. */
const SECTIONS = {
  ingest: /^## Ingest\b/m,
  'sdk-size': /^## SDKs\b/m,
  sentiment: /^## Sentiment\b/m,
  insights: /^## Insights\b/m,
  stream: /^## (Live stream|Stream|Realtime)\b/m,
};

const only = new Set(process.argv.slice(2));
const benchmarks = readdirSync(here)
  .filter((f) => /\.(mjs|ts)$/.test(f) && f !== 'run.mjs' && !f.includes('.tmp.') && !f.startsWith('_'))
  .map((file) => ({ file, name: file.replace(/\.(mjs|ts)$/, '') }))
  .filter((b) => only.size === 0 || only.has(b.name));
if (only.size > 0 && benchmarks.length < only.size) {
  console.error(`unknown benchmark among: ${[...only].join(', ')}`);
  process.exit(2);
}

function run(b) {
  const source = readFileSync(join(here, b.file), 'utf8');
  const markdown = source.includes("'--markdown'") || source.includes('markdown:');
  const args = [...(ARGS[b.name] ?? []), ...(markdown ? ['--markdown'] : [])];
  const [cmd, argv] = b.file.endsWith('.ts')
    ? ['npx', ['tsx', b.file, ...args]]
    : [process.execPath, [b.file, ...args]];
  console.log(`\n=== ${b.name}: ${[cmd === process.execPath ? 'node' : cmd, ...argv].join(' ')}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: here, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', (code) =>
      resolve({
        ...b,
        code,
        out,
        markdown,
        seconds: (Date.now() - started) / 1000,
        load: loadavg()[0],
        command: `${b.file.endsWith('.ts') ? 'npx tsx' : 'node'} bench/${[b.file, ...args].join(' ')}`,
      }),
    );
  });
}

/** Plain output as Markdown: table rows stay together; every other line is a paragraph of its own. */
function asMarkdown(text) {
  const lines = text.replace(/\r/g, '').split('\n');
  const out = [];
  for (const line of lines) {
    if (isJsonRecord(line)) continue; // machine-readable progress records
    const isTable = line.trimStart().startsWith('|');
    const prevTable = (out.at(-1) ?? '').trimStart().startsWith('|');
    if (line.trim() === '') {
      if (out.at(-1) !== '') out.push('');
      continue;
    }
    if (out.length > 0 && out.at(-1) !== '' && isTable !== prevTable) out.push('');
    out.push(line);
    if (!isTable) out.push('');
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function isJsonRecord(line) {
  if (!/^\s*\{.*\}\s*$/.test(line)) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function block(r) {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const body = asMarkdown(r.out);
  return [
    `<!-- bench:${r.name} -->`,
    `Latest run: \`bench/run\` on ${when} UTC, ${r.seconds.toFixed(0)} s, load average ${r.load.toFixed(1)} on ${availableParallelism()} cores at the end (\`${r.command}\`):`,
    '',
    body,
    `<!-- /bench:${r.name} -->`,
  ].join('\n');
}

/** `Machine: N cores (CPU), N GiB RAM, Node X.Y` followed by whatever the line said after that. */
function machine(doc) {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = Math.round(totalmem() / 2 ** 30);
  const node = process.versions.node.split('.').slice(0, 2).join('.');
  const now = `Machine: ${availableParallelism()} cores (${cpu}), ${gib} GiB RAM, Node ${node}`;
  const line = /^Machine: \d+ cores( \([^)]*\))?, \d+ GiB RAM, Node [\d.]+/m;
  if (line.test(doc)) return doc.replace(line, now);
  return doc.replace(/^(# .*\n)/, `$1\n${now}.\n`);
}

function place(doc, r) {
  const begin = `<!-- bench:${r.name} -->`;
  const end = `<!-- /bench:${r.name} -->`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block(r) + doc.slice(j + end.length);
  const heading = SECTIONS[r.name]?.exec(doc);
  if (!heading) return `${doc.trimEnd()}\n\n## ${r.name}\n\n${block(r)}\n`;
  // At the end of the section: before the next `## ` heading, or at the end of the file.
  const next = doc.indexOf('\n## ', heading.index + 1);
  const at = next < 0 ? doc.length : next;
  return `${doc.slice(0, at).trimEnd()}\n\n${block(r)}\n${doc.slice(at)}`;
}

const results = [];
for (const b of benchmarks) results.push(await run(b));
let doc = readFileSync(RESULTS, 'utf8');
doc = machine(doc);
const failed = [];
for (const r of results) {
  if (r.code === 0) doc = place(doc, r);
  else failed.push(`${r.name} (exit ${r.code})`);
}
writeFileSync(RESULTS, doc.endsWith('\n') ? doc : `${doc}\n`);
console.log(
  `\nbench/RESULTS.md updated: ${
    results
      .filter((r) => r.code === 0)
      .map((r) => r.name)
      .join(', ') || 'nothing'
  }`,
);
if (failed.length > 0) {
  console.error(`failed, previous figures kept: ${failed.join(', ')}`);
  process.exit(1);
}
