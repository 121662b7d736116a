import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheCounters } from '../cache/index.js';
import type { BreakerState, CircuitBreaker } from '../resilience/breaker.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What the gauges read at scrape time. Each source is optional (a worker has no cache or HTTP). */
export interface MetricSources {
  cache?: { counters: CacheCounters };
  /** Rows waiting for analysis (one COUNT query per scrape). */
  backlog?: () => Promise<number>;
  /** Tasks queued or running on the analysis pool. */
  poolQueue?: () => number;
  /** node-postgres pool, when the database is PostgreSQL. */
  dbPool?: { totalCount: number; idleCount: number; waitingCount: number };
  breakers?: CircuitBreaker[];
}

/**
 * The collector's Prometheus metrics, on a registry of its own (several apps can live in one test
 * process). Code elsewhere calls these typed methods; only this module imports prom-client.
 */
export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources = {};
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly events: Counter<'outcome'>;
  private readonly analysisRows: Counter;
  private readonly analysisLatency: Histogram;
  private readonly queryLatency: Histogram<'operation'>;
  private readonly sseConnections: Gauge;
  private readonly sseMessages: Counter;
  private readonly alerts: Counter<'alert'>;
  /** The last backlog read (also used by the in-process alert rules). */
  lastBacklog: number | undefined;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'heed_' });
    this.requests = new Counter({
      name: 'heed_http_requests_total',
      help: 'HTTP requests by method, matched route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'heed_http_request_duration_seconds',
      help: 'HTTP request latency by method and matched route pattern',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.events = new Counter({
      name: 'heed_events_total',
      help: 'Ingested events by outcome: accepted (stored), rejected (invalid), duplicate (already stored)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['accepted', 'rejected', 'duplicate']) this.events.inc({ outcome }, 0);
    this.analysisRows = new Counter({
      name: 'heed_analysis_rows_total',
      help: 'Interactions whose sentiment this process wrote',
      registers,
    });
    this.analysisLatency = new Histogram({
      name: 'heed_analysis_batch_duration_seconds',
      help: 'Time to score and write one analysis batch (up to 32 texts)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.queryLatency = new Histogram({
      name: 'heed_db_query_duration_seconds',
      help: 'Storage calls by operation (one call may run several statements in a transaction)',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.sseConnections = new Gauge({
      name: 'heed_sse_connections',
      help: 'Open live-stream (SSE) connections',
      registers,
    });
    this.sseMessages = new Counter({
      name: 'heed_sse_messages_total',
      help: 'Messages written to live-stream (SSE) connections',
      registers,
    });
    this.alerts = new Counter({
      name: 'heed_alerts_fired_total',
      help: 'Alerts sent to the alert webhook by the in-process rules',
      labelNames: ['alert'],
      registers,
    });
    this.scrapeTimeGauges(registers);
  }

  /** Adds or replaces the sources read at scrape time. */
  watch(sources: MetricSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  ingested(counts: { accepted: number; rejected: number; duplicates: number }): void {
    if (counts.accepted) this.events.inc({ outcome: 'accepted' }, counts.accepted);
    if (counts.rejected) this.events.inc({ outcome: 'rejected' }, counts.rejected);
    if (counts.duplicates) this.events.inc({ outcome: 'duplicate' }, counts.duplicates);
  }

  analyzed(rows: number, ms: number): void {
    this.analysisRows.inc(rows);
    this.analysisLatency.observe(ms / 1000);
  }

  query(operation: string, seconds: number): void {
    this.queryLatency.observe({ operation }, seconds);
  }

  /** A live-stream client connected; call the returned function once when it disconnects. */
  sseOpened(): () => void {
    this.sseConnections.inc();
    let open = true;
    return () => {
      if (open) this.sseConnections.dec();
      open = false;
    };
  }

  sseSent(messages = 1): void {
    this.sseMessages.inc(messages);
  }

  alertFired(alert: string): void {
    this.alerts.inc({ alert });
  }

  /** The text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The series of one metric, collected now (used by the in-process alert rules). */
  async series(name: string): Promise<Array<{ value: number; labels: Record<string, string | number> }>> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return [];
    const got = await metric.get();
    return got.values.map((v) => {
      const labels: Record<string, string | number> = {};
      for (const [k, x] of Object.entries(v.labels)) if (x !== undefined) labels[k] = x as string | number;
      if ('metricName' in v && typeof v.metricName === 'string') labels.__name__ = v.metricName;
      return { value: v.value, labels };
    });
  }

  private scrapeTimeGauges(registers: Registry[]): void {
    const self = this;
    let cacheHits = 0;
    let cacheMisses = 0;
    new Counter({
      name: 'heed_cache_hits_total',
      help: 'Insights query cache hits',
      registers,
      collect() {
        const now = self.sources.cache?.counters.hits ?? cacheHits;
        if (now > cacheHits) this.inc(now - cacheHits);
        cacheHits = now;
      },
    });
    new Counter({
      name: 'heed_cache_misses_total',
      help: 'Insights query cache misses',
      registers,
      collect() {
        const now = self.sources.cache?.counters.misses ?? cacheMisses;
        if (now > cacheMisses) this.inc(now - cacheMisses);
        cacheMisses = now;
      },
    });
    new Gauge({
      name: 'heed_analysis_backlog',
      help: 'Interactions with text waiting for sentiment analysis (all organizations)',
      registers,
      async collect() {
        if (!self.sources.backlog) return;
        try {
          self.lastBacklog = await self.sources.backlog();
          this.set(self.lastBacklog);
        } catch {
          // Database unavailable: keep the last value; heed_circuit_state tells why.
        }
      },
    });
    new Gauge({
      name: 'heed_analysis_pool_queue',
      help: 'Analysis tasks queued or running on the worker-thread pool',
      registers,
      collect() {
        if (self.sources.poolQueue) this.set(self.sources.poolQueue());
      },
    });
    new Gauge({
      name: 'heed_db_pool_connections',
      help: 'PostgreSQL pool connections: total, idle, and requests waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        const p = self.sources.dbPool;
        if (!p) return;
        this.set({ state: 'total' }, p.totalCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'waiting' }, p.waitingCount);
      },
    });
    new Gauge({
      name: 'heed_circuit_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['breaker'],
      registers,
      collect() {
        for (const b of self.sources.breakers ?? []) this.set({ breaker: b.name }, STATE_VALUE[b.state]);
      },
    });
    new Counter({
      name: 'heed_circuit_rejections_total',
      help: 'Calls refused at once (503) because a circuit breaker was open',
      labelNames: ['breaker'],
      registers,
      collect() {
        this.reset();
        for (const b of self.sources.breakers ?? []) this.inc({ breaker: b.name }, b.rejected);
      },
    });
  }
}
