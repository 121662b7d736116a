import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

/** The alert names, shared with deploy/prometheus/heed-rules.yml. */
export const ALERTS = {
  latency: 'HeedHighLatencyP95',
  errors: 'HeedHighErrorRate',
  cache: 'HeedLowCacheHitRate',
  backlog: 'HeedAnalysisBacklogGrowing',
} as const;

export type AlertName = (typeof ALERTS)[keyof typeof ALERTS];

export interface AlertThresholds {
  /** p95 request latency (seconds). Default 1. */
  p95Seconds: number;
  /** Share of requests answered 5xx. Default 0.05. */
  errorRate: number;
  /** Share of insights cache lookups that hit. Default 0.7. */
  cacheHitRate: number;
  /** Backlog alert: grew at each of this many evaluations in a row... Default 3. */
  backlogRises: number;
  /** ...and is above this many rows. Default 100. */
  backlogMin: number;
  /** Fewer requests (or cache lookups) than this in a window: not enough to judge. Default 20. */
  minSamples: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  p95Seconds: 1,
  errorRate: 0.05,
  cacheHitRate: 0.7,
  backlogRises: 3,
  backlogMin: 100,
  minSamples: 20,
};

export interface AlertNotice {
  type: 'alert';
  status: 'firing' | 'resolved';
  alert: AlertName;
  summary: string;
  value: number;
  threshold: number;
  instance: string;
  at: string;
}

export interface AlertRulesOptions {
  metrics: Metrics;
  logger: Logger;
  /** Delivers a notice (the signed alert webhook). */
  notify: (notice: AlertNotice) => Promise<unknown>;
  /** Names this process in notices (host:port). */
  instance: string;
  thresholds?: Partial<AlertThresholds>;
}

interface Totals {
  requests: number;
  errors: number;
  buckets: Map<number, number>;
  hits: number;
  misses: number;
}

/**
 * The alert rules of deploy/prometheus/heed-rules.yml, evaluated in process for people without
 * Prometheus: each evaluation compares the metrics with the previous evaluation (one window), and
 * a notice is sent when an alert starts firing and when it resolves; never twice in a row for the same
 * state (deduplicated).
 */
export class AlertRules {
  private readonly t: AlertThresholds;
  private previous: Totals | undefined;
  private readonly backlogs: number[] = [];
  private readonly firing = new Set<AlertName>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: AlertRulesOptions) {
    this.t = { ...DEFAULT_THRESHOLDS, ...o.thresholds };
  }

  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.evaluate()
        .catch((err) => this.o.logger.warn({ err: (err as Error).message }, 'alert evaluation failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Alerts currently firing. */
  get active(): AlertName[] {
    return [...this.firing];
  }

  /** One evaluation window: from the previous call to now. */
  async evaluate(): Promise<void> {
    const now = await this.totals();
    const before = this.previous;
    this.previous = now;
    const backlog = await this.backlog();
    if (!before) return;
    const requests = now.requests - before.requests;
    const enough = requests >= this.t.minSamples;
    const p95 = enough ? quantile(0.95, now.buckets, before.buckets, requests) : 0;
    await this.judge(
      ALERTS.latency,
      enough ? p95 > this.t.p95Seconds : undefined,
      p95,
      this.t.p95Seconds,
      `p95 request latency ${p95.toFixed(2)} s over ${this.t.p95Seconds} s`,
    );
    const errorRate = enough ? (now.errors - before.errors) / requests : 0;
    await this.judge(
      ALERTS.errors,
      enough ? errorRate > this.t.errorRate : undefined,
      errorRate,
      this.t.errorRate,
      `${(errorRate * 100).toFixed(1)}% of requests failed with 5xx`,
    );
    const lookups = now.hits - before.hits + (now.misses - before.misses);
    const hitRate = lookups > 0 ? (now.hits - before.hits) / lookups : 1;
    await this.judge(
      ALERTS.cache,
      lookups >= this.t.minSamples ? hitRate < this.t.cacheHitRate : undefined,
      hitRate,
      this.t.cacheHitRate,
      `insights cache hit rate ${(hitRate * 100).toFixed(1)}%`,
    );
    const b = this.backlogs;
    const rising =
      b.length > this.t.backlogRises &&
      b.slice(-this.t.backlogRises - 1).every((v, i, a) => i === 0 || v > a[i - 1]!);
    await this.judge(
      ALERTS.backlog,
      backlog === undefined ? undefined : rising && backlog > this.t.backlogMin,
      backlog ?? 0,
      this.t.backlogMin,
      `analysis backlog grew ${this.t.backlogRises} times in a row, now ${backlog} rows`,
    );
  }

  /** `firing` undefined: too little traffic in the window to judge; the alert keeps its state. */
  private async judge(
    alert: AlertName,
    firing: boolean | undefined,
    value: number,
    threshold: number,
    summary: string,
  ) {
    if (firing === undefined || firing === this.firing.has(alert)) return;
    if (firing) this.firing.add(alert);
    else this.firing.delete(alert);
    if (firing) this.o.metrics.alertFired(alert);
    const notice: AlertNotice = {
      type: 'alert',
      status: firing ? 'firing' : 'resolved',
      alert,
      summary,
      value,
      threshold,
      instance: this.o.instance,
      at: new Date().toISOString(),
    };
    this.o.logger.warn(notice, firing ? 'alert firing' : 'alert resolved');
    await this.o.notify(notice);
  }

  private async backlog(): Promise<number | undefined> {
    const [b] = await this.o.metrics.series('heed_analysis_backlog');
    if (b === undefined || this.o.metrics.lastBacklog === undefined) return undefined;
    this.backlogs.push(b.value);
    if (this.backlogs.length > this.t.backlogRises + 1) this.backlogs.shift();
    return b.value;
  }

  private async totals(): Promise<Totals> {
    const m = this.o.metrics;
    const t: Totals = { requests: 0, errors: 0, buckets: new Map(), hits: 0, misses: 0 };
    for (const s of await m.series('heed_http_requests_total')) {
      t.requests += s.value;
      if (String(s.labels.status).startsWith('5')) t.errors += s.value;
    }
    for (const s of await m.series('heed_http_request_duration_seconds')) {
      if (s.labels.__name__ !== 'heed_http_request_duration_seconds_bucket') continue;
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      t.buckets.set(le, (t.buckets.get(le) ?? 0) + s.value);
    }
    for (const s of await m.series('heed_cache_hits_total')) t.hits += s.value;
    for (const s of await m.series('heed_cache_misses_total')) t.misses += s.value;
    return t;
  }
}

/** Like PromQL's histogram_quantile over the window's bucket increases (linear within a bucket). */
function quantile(q: number, now: Map<number, number>, before: Map<number, number>, count: number): number {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const cumulative = (now.get(le) ?? 0) - (before.get(le) ?? 0);
    if (cumulative >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      const inBucket = cumulative - below;
      return inBucket > 0 ? lower + ((le - lower) * (rank - below)) / inBucket : le;
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}
