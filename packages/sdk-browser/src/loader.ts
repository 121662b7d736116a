/** Methods the loader stub records until the script has loaded. */
const METHODS = 'init track page screen identify group alias reset flush optOut optIn';

/**
 * The one-line `<script>` loader: defines `window.heed` as a stub that records calls, loads the
 * script build asynchronously, then initialises it. Calls made before the script arrives are
 * replayed in order once it has.
 */
export function loaderSnippet(opts: {
  src: string;
  writeKey: string;
  host: string;
  settings?: object;
}): string {
  const settings = JSON.stringify({ writeKey: opts.writeKey, host: opts.host, ...opts.settings });
  return `<script>!function(w,d,h,s){h=w.heed=w.heed||[];if(h.init)return;"${METHODS}".split(" ").forEach(function(m){h[m]=function(){h.push([m].concat([].slice.call(arguments)))}});s=d.createElement("script");s.async=1;s.src=${JSON.stringify(opts.src)};d.head.appendChild(s)}(window,document);heed.init(${settings});heed.page()</script>`;
}
