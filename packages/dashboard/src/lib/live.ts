/**
 * The live stream as a browser client: EventSource with a fresh stream token per connection,
 * Last-Event-ID carried across reconnects, backoff 1, 2, 4, 8 … 30 s, and `resync` handling.
 */

export type LiveStatus =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'waiting'; retryInMs: number; attempt: number }
  | { state: 'stopped'; reason: string };

export interface LiveEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface LiveHandlers {
  events(events: LiveEvent[]): void;
  /** The stream could not replay what was missed (or this is a fresh connection): refetch over REST. */
  resync(): void;
  status(s: LiveStatus): void;
}

interface EventSourceLike {
  addEventListener(type: string, listener: (e: MessageEvent<string>) => void): void;
  close(): void;
  onopen: ((e: Event) => void) | null;
  onerror: ((e: Event) => void) | null;
}

export interface LiveOptions {
  /** The stream URL for a connection, given the last event id seen (fetches a stream token). */
  url(lastEventId: string | undefined): Promise<string>;
  handlers: LiveHandlers;
  EventSource?: new (url: string) => EventSourceLike;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export const EVENT_TYPES = ['interaction.created', 'sentiment.analyzed', 'anomaly.detected'] as const;

/** 1 s, 2 s, 4 s … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

export class LiveClient {
  private source: EventSourceLike | undefined;
  private lastEventId: string | undefined;
  private attempt = 0;
  private timer: unknown;
  private stopped = false;
  private readonly o: Required<Omit<LiveOptions, 'handlers' | 'url'>> & Pick<LiveOptions, 'handlers' | 'url'>;

  constructor(opts: LiveOptions) {
    this.o = {
      EventSource: globalThis.EventSource as unknown as new (url: string) => EventSourceLike,
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as number),
      ...opts,
    };
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(reason = 'stopped'): void {
    this.stopped = true;
    this.o.clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
    this.o.handlers.status({ state: 'stopped', reason });
  }

  /** Reconnects now (the user clicked "retry"). */
  retryNow(): void {
    this.o.clearTimeout(this.timer);
    this.source?.close();
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.o.handlers.status({ state: 'connecting' });
    let url: string;
    try {
      url = await this.o.url(this.lastEventId);
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const es = new this.o.EventSource(url);
    this.source = es;
    const fresh = this.lastEventId === undefined;
    es.onopen = () => {
      this.attempt = 0;
      this.o.handlers.status({ state: 'live' });
      // Nothing to replay from: state comes from REST.
      if (fresh) this.o.handlers.resync();
    };
    es.onerror = () => {
      // Our own backoff replaces EventSource's (a new stream token is needed anyway).
      es.close();
      if (this.source === es) this.scheduleRetry();
    };
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (e) => {
        if (e.lastEventId) this.lastEventId = e.lastEventId;
        let items: Array<{ id: string; data?: Record<string, unknown> }>;
        try {
          items = JSON.parse(e.data);
        } catch {
          return;
        }
        this.o.handlers.events(items.map((i) => ({ id: i.id, type, data: i.data ?? {} })));
      });
    }
    es.addEventListener('resync', (e) => {
      if (e.lastEventId) this.lastEventId = e.lastEventId;
      this.o.handlers.resync();
    });
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.source = undefined;
    this.attempt++;
    const retryInMs = backoffMs(this.attempt);
    this.o.handlers.status({ state: 'waiting', retryInMs, attempt: this.attempt });
    this.timer = this.o.setTimeout(() => void this.connect(), retryInMs);
  }
}
