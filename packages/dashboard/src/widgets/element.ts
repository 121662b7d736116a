import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css';
import { backoffMs } from '../lib/live.js';

/**
 * `<heed-widget kind="sentiment-trend|kpis|channels" token="…" range="24h|7d|30d">`: a live widget in
 * any page on an origin the embed token allows. Data and events come from the collector that served
 * this script; everything is drawn in a shadow root as text (never as HTML).
 */

interface Point {
  bucket: string;
  count: number;
  meanSentiment: number | null;
}
interface WidgetData {
  kind: string;
  points?: Point[];
  metrics?: {
    volume: number;
    meanSentiment: number | null;
    activeCustomers: number;
    byChannel: Array<{ channel: string; count: number }>;
  };
}

const STYLE = `
:host { display: block; font: 14px system-ui, sans-serif; color: #1d2939; }
.box { border: 1px solid #e4e7ec; border-radius: 10px; padding: 12px; background: #fff; }
.title { font-size: 12px; color: #667085; margin-bottom: 6px; display: flex; justify-content: space-between; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
.tile .v { font-size: 22px; font-weight: 650; }
.tile .l { font-size: 11px; color: #667085; }
.err { color: #dc2626; }
ul { list-style: none; padding: 0; margin: 0; }
li { display: flex; justify-content: space-between; padding: 2px 0; }
`;

const scriptOrigin = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  return src ? new URL(src).origin : location.origin;
})();

export class HeedWidget extends HTMLElement {
  private root: ShadowRoot;
  private body: HTMLDivElement;
  private status: HTMLSpanElement;
  private name: HTMLSpanElement;
  private source: EventSource | undefined;
  private plot: uPlot | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private refetch: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private lastEventId: string | undefined;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE + uplotCss;
    const box = document.createElement('div');
    box.className = 'box';
    const title = document.createElement('div');
    title.className = 'title';
    this.name = document.createElement('span');
    this.status = document.createElement('span');
    this.status.textContent = '…';
    title.append(this.name, this.status);
    this.body = document.createElement('div');
    box.append(title, this.body);
    this.root.append(style, box);
  }

  connectedCallback(): void {
    // Attributes are only guaranteed from here on (not in the constructor).
    this.name.textContent = this.titleText();
    void this.load();
    this.connect();
  }

  disconnectedCallback(): void {
    this.source?.close();
    clearTimeout(this.retry);
    clearTimeout(this.refetch);
    this.plot?.destroy();
    this.plot = undefined;
  }

  private get base(): string {
    return this.getAttribute('src') ?? scriptOrigin;
  }

  private query(): string {
    const q = new URLSearchParams({ token: this.getAttribute('token') ?? '', kind: this.kind });
    const range = this.getAttribute('range');
    if (range) q.set('range', range);
    return q.toString();
  }

  private get kind(): string {
    return this.getAttribute('kind') ?? 'sentiment-trend';
  }

  private titleText(): string {
    return (
      this.getAttribute('title') ??
      { 'sentiment-trend': 'Sentiment', kpis: 'Customers', channels: 'Channels' }[this.kind] ??
      'Heed'
    );
  }

  private async load(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/v1/embed/data?${this.query()}`, { credentials: 'omit' });
    } catch {
      this.fail('Cannot reach the collector');
      return;
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      this.fail(body.error ?? `Error ${res.status}`);
      if (res.status === 401 || res.status === 403) this.stop();
      return;
    }
    this.render((await res.json()) as WidgetData);
  }

  private connect(): void {
    const q = this.query() + (this.lastEventId ? `&lastEventId=${encodeURIComponent(this.lastEventId)}` : '');
    const es = new EventSource(`${this.base}/v1/embed/stream?${q}`);
    this.source = es;
    es.onopen = () => {
      this.attempt = 0;
      this.status.textContent = '● live';
    };
    const changed = (e: MessageEvent<string>) => {
      if (e.lastEventId) this.lastEventId = e.lastEventId;
      clearTimeout(this.refetch);
      this.refetch = setTimeout(() => void this.load(), 500);
    };
    for (const t of ['interaction.created', 'sentiment.analyzed', 'resync']) es.addEventListener(t, changed);
    es.onerror = () => {
      es.close();
      if (this.source !== es) return;
      this.status.textContent = 'reconnecting';
      this.attempt++;
      // A revoked or expired token shows up on the next data load (401) and stops the widget.
      this.retry = setTimeout(() => {
        void this.load();
        if (this.source === es) this.connect();
      }, backoffMs(this.attempt));
    };
  }

  private stop(): void {
    this.source?.close();
    this.source = undefined;
    clearTimeout(this.retry);
    this.status.textContent = 'stopped';
  }

  private fail(message: string): void {
    this.plot?.destroy();
    this.plot = undefined;
    const p = document.createElement('p');
    p.className = 'err';
    p.textContent = message;
    this.body.replaceChildren(p);
  }

  private render(d: WidgetData): void {
    if (d.kind === 'sentiment-trend') this.renderTrend(d.points ?? []);
    else if (d.kind === 'kpis' && d.metrics) this.renderKpis(d.metrics);
    else if (d.kind === 'channels' && d.metrics) this.renderChannels(d.metrics.byChannel);
  }

  private renderTrend(points: Point[]): void {
    const data: uPlot.AlignedData = [
      points.map((p) => Date.parse(p.bucket) / 1000),
      points.map((p) => p.meanSentiment),
    ];
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    this.body.replaceChildren();
    const width = Math.max(200, this.clientWidth - 26 || 300);
    this.plot = new uPlot(
      {
        width,
        height: Number(this.getAttribute('height') ?? 160),
        scales: { x: { time: true }, y: { range: [-1, 1] } },
        series: [{}, { label: 'Mean sentiment', stroke: '#4f46e5', width: 2, spanGaps: true }],
        legend: { show: false },
      },
      data,
      this.body,
    );
  }

  private renderKpis(m: NonNullable<WidgetData['metrics']>): void {
    const tile = (value: string, label: string) => {
      const t = document.createElement('div');
      t.className = 'tile';
      const v = document.createElement('div');
      v.className = 'v';
      v.textContent = value;
      const l = document.createElement('div');
      l.className = 'l';
      l.textContent = label;
      t.append(v, l);
      return t;
    };
    const grid = document.createElement('div');
    grid.className = 'tiles';
    const mean =
      m.meanSentiment === null ? '–' : (m.meanSentiment > 0 ? '+' : '') + m.meanSentiment.toFixed(2);
    grid.append(
      tile(String(m.volume), 'interactions'),
      tile(mean, 'mean sentiment'),
      tile(String(m.activeCustomers), 'customers'),
    );
    this.body.replaceChildren(grid);
  }

  private renderChannels(rows: Array<{ channel: string; count: number }>): void {
    const ul = document.createElement('ul');
    for (const r of rows) {
      const li = document.createElement('li');
      const a = document.createElement('span');
      a.textContent = r.channel;
      const b = document.createElement('span');
      b.textContent = String(r.count);
      li.append(a, b);
      ul.append(li);
    }
    this.body.replaceChildren(ul);
  }
}

export function defineHeedWidget(name = 'heed-widget'): void {
  if (!customElements.get(name)) customElements.define(name, HeedWidget);
}
