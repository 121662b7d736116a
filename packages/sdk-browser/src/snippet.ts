import { type BrowserSettings, createHeed, type Heed } from './client.js';

/**
 * The `<script>` build. The one-line loader defines `window.heed` as an array-backed stub that
 * records calls; this replays them once loaded (init first), then replaces the stub.
 */
type Call = [string, ...unknown[]];
const w = window as unknown as { heed?: Call[] | Heed };
const stub = Array.isArray(w.heed) ? w.heed : [];
const init = stub.find((c) => c[0] === 'init');
if (init) {
  try {
    const heed = createHeed(init[1] as BrowserSettings) as Heed & { init(): void; push(c: Call): void };
    const call = (c: Call) => {
      const fn = (heed as unknown as Record<string, (...a: unknown[]) => unknown>)[c[0]];
      if (c[0] !== 'init' && typeof fn === 'function') fn(...c.slice(1));
    };
    heed.init = () => {};
    heed.push = call;
    w.heed = heed;
    for (const c of stub) call(c);
  } catch (e) {
    console.error('heed:', e);
  }
}
