import { randomUUID } from 'node:crypto';

/** An event published to an organization's live stream. */
export interface HubEvent {
  type: 'interaction.created' | 'sentiment.analyzed' | 'anomaly.detected';
  data: unknown;
}

/** An event with its id: increasing per organization, the same on every collector instance. */
export interface SequencedEvent extends HubEvent {
  id: number;
}

export type HubListener = (organizationId: string, event: HubEvent) => void;

/** Receives numbered events in id order; `gap` means events may have been missed (null: any organization). */
export interface LiveListener {
  events(organizationId: string, events: SequencedEvent[]): void;
  gap(organizationId: string | null): void;
}

/**
 * Carries events between collector instances (PostgreSQL NOTIFY or Redis pub/sub). It numbers them
 * with a per-organization counter shared by every instance and delivers each organization's events
 * to every instance, this one included, in id order.
 */
export interface HubTransport {
  readonly kind: string;
  /** Ids per organization are contiguous (1, 2, 3 …), so a missing id is a detectable gap. */
  start(receiver: {
    receive(organizationId: string, events: SequencedEvent[], origin: string): void;
    /** The subscription was interrupted: anything may have been missed. */
    lost(): void;
  }): Promise<void>;
  send(origin: string, organizationId: string, events: HubEvent[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Organization-scoped fan-out: the one publish API of the collector (ingest, analysis, anomalies).
 * In process by default; with a transport, events published by any instance (or `heed worker`)
 * reach every instance. `subscribe` listeners see each event once, synchronously for local ones;
 * `listen` listeners (the live stream) see numbered events in id order.
 */
export class Hub {
  readonly instanceId = randomUUID();
  private readonly listeners = new Set<HubListener>();
  private readonly live = new Set<LiveListener>();
  private transport: HubTransport | undefined;
  /** Local ids start at the clock (µs) so that they keep increasing across restarts. */
  private readonly startSeq = Date.now() * 1000;
  private seq = this.startSeq;
  private readonly outbox = new Map<string, HubEvent[]>();
  private flushScheduled = false;
  private onSendError: (err: unknown) => void = () => {};

  /** Every id above this one that this hub numbered is known (local mode); undefined with a transport. */
  get knownSince(): number | undefined {
    return this.transport ? undefined : this.startSeq;
  }

  get transportKind(): string {
    return this.transport?.kind ?? 'local';
  }

  /** Fans events out through `transport` from now on (call once, before publishing). */
  async attach(transport: HubTransport, onError: (err: unknown) => void = () => {}): Promise<void> {
    this.onSendError = onError;
    await transport.start({
      receive: (org, events, origin) => this.receive(org, events, origin),
      lost: () => this.emitGap(null),
    });
    this.transport = transport;
  }

  async close(): Promise<void> {
    const t = this.transport;
    this.flushOutbox();
    this.transport = undefined;
    await t?.close();
  }

  publish(organizationId: string, event: HubEvent): void {
    this.notify(organizationId, event);
    if (!this.transport) {
      this.emitEvents(organizationId, [{ ...event, id: ++this.seq }]);
      return;
    }
    const queued = this.outbox.get(organizationId);
    if (queued) queued.push(event);
    else this.outbox.set(organizationId, [event]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Events published in the same tick (a stored batch) travel together.
      queueMicrotask(() => this.flushOutbox());
    }
  }

  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Numbered events in id order, from every instance when a transport is attached. */
  listen(listener: LiveListener): () => void {
    this.live.add(listener);
    return () => this.live.delete(listener);
  }

  private flushOutbox(): void {
    this.flushScheduled = false;
    const t = this.transport;
    if (!t) return;
    for (const [org, events] of this.outbox) {
      t.send(this.instanceId, org, events).catch((err) => {
        this.onSendError(err);
        this.emitGap(org);
      });
    }
    this.outbox.clear();
  }

  private receive(organizationId: string, events: SequencedEvent[], origin: string): void {
    if (origin !== this.instanceId) for (const e of events) this.notify(organizationId, e);
    this.emitEvents(organizationId, events);
  }

  private notify(organizationId: string, event: HubEvent): void {
    for (const l of this.listeners) {
      try {
        l(organizationId, event);
      } catch {
        // A failing listener must not break ingestion.
      }
    }
  }

  private emitEvents(organizationId: string, events: SequencedEvent[]): void {
    for (const l of this.live) {
      try {
        l.events(organizationId, events);
      } catch {
        // idem
      }
    }
  }

  private emitGap(organizationId: string | null): void {
    for (const l of this.live) {
      try {
        l.gap(organizationId);
      } catch {
        // idem
      }
    }
  }
}
