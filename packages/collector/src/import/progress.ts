import type { ImportProgress } from './run.js';

/**
 * A progress bar on stderr: redrawn in place on a terminal (at most every 100 ms), one line per 10%
 * otherwise (logs, CI).
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  let last = 0;
  let lastDecile = -1;
  const started = Date.now();
  return function render(p: ImportProgress) {
    const now = Date.now();
    const ratio = p.total === 0 ? 1 : Math.min(1, p.processed / p.total);
    const rate = Math.round(p.processed / Math.max(0.001, (now - started) / 1000));
    const text = `${Math.floor(ratio * 100)
      .toString()
      .padStart(
        3,
      )}% ${p.processed}/${p.total} rows  ${rate}/s  stored ${p.accepted}, duplicates ${p.duplicates}, rejected ${p.rejected}`;
    if (stream.isTTY) {
      if (p.phase !== 'done' && now - last < 100) return;
      last = now;
      const width = 30;
      const filled = Math.round(ratio * width);
      stream.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K${p.phase === 'done' ? '\n' : ''}`,
      );
    } else {
      const decile = Math.floor(ratio * 10);
      if (decile === lastDecile && p.phase !== 'done') return;
      lastDecile = decile;
      stream.write(`${text}\n`);
    }
  };
}
