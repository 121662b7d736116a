import { type BrowserSettings, createClient, type Heed } from './client.js';

/**
 * The `<script>` build. The one-line loader defines `window.heed` as an array-backed stub that
 * records calls; this replays them once loaded (init first), then replaces the stub. Its settings
 * were checked by `loaderSnippet()` when it printed the line; only the two a hand-written line could
 * leave out are checked again here, so that it fails with a clear message instead of posting nowhere.
 */
type Call = [string, ...unknown[]];
const w = window as unknown as { heed?: Call[] | Heed };
const stub = w.heed;
const init = Array.isArray(stub) && stub.find((c) => c[0] === 'init');
if (init)
  try {
    const settings = init[1] as BrowserSettings;
    if (!settings?.writeKey || !/^https?:/.test(settings.host)) throw new Error('missing writeKey or host');
    const heed = createClient(settings) as Heed & Record<string, unknown>;
    const call = (c: Call) =>
      c[0] !== 'init' && (heed[c[0]] as (...a: unknown[]) => unknown)?.(...c.slice(1));
    heed.init = () => {};
    heed.push = call;
    w.heed = heed;
    (stub as Call[]).forEach(call);
  } catch (e) {
    console.error('heed:', e);
  }
