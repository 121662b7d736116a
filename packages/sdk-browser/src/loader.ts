import { type BrowserSettings, validateBrowserSettings } from './client.js';

/** Methods the loader stub records until the script has loaded. */
const METHODS = 'init track page screen identify group alias reset flush optOut optIn';

/**
 * The one-line `<script>` loader: defines `window.heed` as a stub that records calls, loads the
 * script build asynchronously, then initialises it. Calls made before the script arrives are
 * replayed in order once it has. Checks the settings (ValidationError): the script build trusts
 * what this prints. Only JSON settings travel in the line (no functions such as beforeSend).
 */
export function loaderSnippet(opts: {
  src: string;
  writeKey: string;
  host: string;
  settings?: Omit<BrowserSettings, 'writeKey' | 'host'>;
}): string {
  const all = { writeKey: opts.writeKey, host: opts.host, ...opts.settings };
  validateBrowserSettings(all);
  const settings = JSON.stringify(all);
  return `<script>!function(w,d,h,s){h=w.heed=w.heed||[];if(h.init)return;"${METHODS}".split(" ").forEach(function(m){h[m]=function(){h.push([m].concat([].slice.call(arguments)))}});s=d.createElement("script");s.async=1;s.src=${JSON.stringify(opts.src)};d.head.appendChild(s)}(window,document);heed.init(${settings});heed.page()</script>`;
}
