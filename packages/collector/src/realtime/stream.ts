import type { ServerResponse } from 'node:http';
import type { AccessClaims } from '../auth/tokens.js';
import { ReplayBuffer } from './buffer.js';
import type { Hub, SequencedEvent } from './hub.js';
import { embedView, encodeEvents, encodeHello, encodeResync, fullView, HEARTBEAT } from './sse.js';

export interface LiveOptions {
  /** Comment line sent to every client this often (keeps proxies from closing idle streams). Default 15 s. */
  heartbeatMs: number;
  /** Events arriving within this window go out in one write. Default 50 ms. */
  coalesceMs: number;
  /** Events kept per organization for Last-Event-ID replay. Default 100. */
  bufferSize: number;
  /** Bytes queued for a client that does not read before it is dropped (with a resync). Default 256 KiB. */
  maxQueuedBytes: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = {
  heartbeatMs: 15_000,
  coalesceMs: 50,
  bufferSize: 100,
  maxQueuedBytes: 256 * 1024,
};

export interface OpenOptions {
  organizationId: string;
  lastEventId?: number | undefined;
  /** `embed`: a widget's token; its clients get ids and types, not data. */
  embedTokenId?: string | undefined;
  /** A user's stream: closed when the user's access ends (logout, deactivation, role change, expiry). */
  user?: { claims: AccessClaims; expiresAt: number } | undefined;
}

/** Where a connection's bytes go. */
interface Sink {
  write(bytes: Uint8Array): void;
  /** Bytes written that the client has not taken yet. */
  queued(): number;
  end(): void;
}

interface Connection {
  org: string;
  lastId: number;
  sink: Sink;
  embedTokenId: string | undefined;
  user: OpenOptions['user'];
  closed: boolean;
  onClose: (() => void) | undefined;
  /** Writes held back while the replay is being prepared (keeps the order). */
  held: Uint8Array[] | undefined;
}

interface OrgState {
  conns: Set<Connection>;
  pending: SequencedEvent[];
  timer: NodeJS.Timeout | undefined;
  lastFlush: number;
}

export interface LiveStreamDeps {
  hub: Hub;
  options?: Partial<LiveOptions> | undefined;
  /** Adds what clients display to events (e.g. an interaction's content); called only when someone listens. */
  enrich?: (organizationId: string, events: SequencedEvent[]) => Promise<SequencedEvent[]>;
  /** The ids among these embed tokens that are still valid (checked at every heartbeat). */
  validEmbedTokens?: (ids: string[]) => Promise<Set<string>>;
  /** Whether a user's access still stands (checked at every heartbeat; cached by the caller). */
  validUser?: (claims: AccessClaims) => Promise<boolean>;
  /** Counts connections and messages (Prometheus). */
  metrics?: { sseOpened(): () => void; sseSent(messages?: number): void };
}

/**
 * The SSE side of the hub: per-organization replay buffer, coalescing, heartbeats and back-pressure.
 * One encoding per flush is shared by every connection of the organization.
 */
export class LiveStream {
  readonly options: LiveOptions;
  private readonly buffer: ReplayBuffer;
  private readonly orgs = new Map<string, OrgState>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly enriched = new WeakSet<SequencedEvent>();
  private heartbeat: NodeJS.Timeout | undefined;
  private connections = 0;
  private readonly unlisten: () => void;

  constructor(private readonly deps: LiveStreamDeps) {
    this.options = { ...DEFAULT_LIVE_OPTIONS, ...deps.options };
    const contiguous = deps.hub.knownSince === undefined;
    this.buffer = new ReplayBuffer(this.options.bufferSize, contiguous, deps.hub.knownSince);
    this.unlisten = deps.hub.listen({
      events: (org, events) => this.receive(org, events),
      gap: (org) => this.gap(org),
    });
  }

  /** The access behind a stream token still stands (true when no check is configured). */
  async isUserValid(claims: AccessClaims): Promise<boolean> {
    return this.deps.validUser ? this.deps.validUser(claims) : true;
  }

  get connectionCount(): number {
    return this.connections;
  }

  /** A client's stream as a web ReadableStream (any runtime, `app.request()` in tests). */
  open(opts: OpenOptions): ReadableStream<Uint8Array> {
    let conn: Connection | undefined;
    const HWM = 16 * 1024;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          conn = this.connect(opts, {
            write: (bytes) => controller.enqueue(bytes),
            // desiredSize = high-water mark - queued bytes: a client that stops reading shows up here.
            queued: () => HWM - (controller.desiredSize ?? 0),
            end: () => controller.close(),
          });
        },
        cancel: () => conn && this.remove(conn),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: HWM }),
    );
  }

  /**
   * A client's stream written straight to a Node response (headers already sent): no web-stream
   * pipeline per connection, which is what keeps a thousand clients cheap.
   */
  attach(opts: OpenOptions, res: ServerResponse): void {
    const conn = this.connect(opts, {
      write: (bytes) => void res.write(bytes),
      queued: () => res.writableLength,
      end: () => res.end(),
    });
    res.once('close', () => this.remove(conn));
  }

  /** Replay (or resync) first, then live events until the client disconnects. */
  private connect(opts: OpenOptions, sink: Sink): Connection {
    const conn: Connection = {
      org: opts.organizationId,
      lastId: 0,
      sink,
      embedTokenId: opts.embedTokenId,
      user: opts.user,
      closed: false,
      onClose: undefined,
      held: undefined,
    };
    let replay: SequencedEvent[] = [];
    sink.write(encodeHello(1000));
    if (opts.lastEventId !== undefined) {
      const r = this.buffer.since(conn.org, opts.lastEventId);
      if (r.kind === 'resync') {
        sink.write(encodeResync('missed', r.newest));
        conn.lastId = r.newest ?? 0;
      } else {
        conn.lastId = r.events.at(-1)?.id ?? opts.lastEventId;
        replay = r.events;
      }
    }
    this.add(conn);
    if (replay.length > 0) this.replay(conn, replay);
    return conn;
  }

  /**
   * Sends buffered events to a reconnecting client. Events buffered while nobody listened here
   * were not enriched: that is done now, and live writes wait until the replay is out.
   */
  private replay(c: Connection, events: SequencedEvent[]): void {
    const { enrich } = this.deps;
    if (!enrich || !events.some((e) => e.type === 'interaction.created' && !this.enriched.has(e))) {
      c.sink.write(encodeEvents(events, this.viewOf(c)));
      return;
    }
    c.held = [];
    void enrich(c.org, events)
      .catch(() => events)
      .then((full) => {
        const held = c.held ?? [];
        c.held = undefined;
        if (c.closed) return;
        c.sink.write(encodeEvents(full, this.viewOf(c)));
        for (const bytes of held) this.write(c, bytes);
      });
  }

  /** Ends the streams opened with an embed token (after it is revoked). */
  closeEmbed(tokenId: string): void {
    for (const st of this.orgs.values())
      for (const c of st.conns) if (c.embedTokenId === tokenId) this.end(c, undefined);
  }

  close(): void {
    this.unlisten();
    for (const st of this.orgs.values()) for (const c of st.conns) this.end(c, undefined);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private viewOf(c: Connection) {
    return c.embedTokenId ? embedView : fullView;
  }

  private add(c: Connection): void {
    let st = this.orgs.get(c.org);
    if (!st) {
      st = { conns: new Set(), pending: [], timer: undefined, lastFlush: 0 };
      this.orgs.set(c.org, st);
    }
    st.conns.add(c);
    this.connections++;
    c.onClose = this.deps.metrics?.sseOpened();
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private remove(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    c.onClose?.();
    const st = this.orgs.get(c.org);
    if (st?.conns.delete(c)) this.connections--;
    if (st && st.conns.size === 0) {
      if (st.timer) clearTimeout(st.timer);
      this.orgs.delete(c.org);
    }
    if (this.connections === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Closes a stream, optionally telling the client why (it reconnects with its Last-Event-ID). */
  private end(c: Connection, last: Uint8Array | undefined): void {
    if (c.closed) return;
    this.remove(c);
    try {
      if (last) c.sink.write(last);
      c.sink.end();
    } catch {
      // already closed by the client
    }
  }

  private write(c: Connection, bytes: Uint8Array): void {
    if (c.closed) return;
    if (c.held) {
      c.held.push(bytes);
      return;
    }
    if (c.sink.queued() > this.options.maxQueuedBytes) {
      this.end(c, encodeResync('slow', undefined));
      return;
    }
    c.sink.write(bytes);
    if (bytes !== HEARTBEAT) this.deps.metrics?.sseSent();
  }

  /** Events of one organization, in id order; enriched and buffered one batch after another. */
  private receive(org: string, events: SequencedEvent[]): void {
    const prev = this.chains.get(org) ?? Promise.resolve();
    const next = prev.then(async () => {
      let evs = events;
      if (this.deps.enrich && this.orgs.has(org)) {
        evs = await this.deps.enrich(org, events).catch(() => events);
        for (const e of evs) this.enriched.add(e);
      }
      this.accept(org, evs);
    });
    this.chains.set(org, next);
    void next.finally(() => {
      if (this.chains.get(org) === next) this.chains.delete(org);
    });
  }

  private accept(org: string, events: SequencedEvent[]): void {
    const { fresh, gap } = this.buffer.append(org, events);
    const st = this.orgs.get(org);
    if (!st) return;
    if (gap) for (const c of st.conns) this.write(c, encodeResync('gap', undefined));
    if (fresh.length === 0) return;
    st.pending.push(...fresh);
    if (st.timer) return;
    const wait = st.lastFlush + this.options.coalesceMs - performance.now();
    if (wait <= 0) this.flush(org, st);
    else st.timer = setTimeout(() => this.flush(org, st), wait);
  }

  private flush(org: string, st: OrgState): void {
    st.timer = undefined;
    st.lastFlush = performance.now();
    const events = st.pending;
    st.pending = [];
    if (events.length === 0 || this.orgs.get(org) !== st) return;
    const first = events[0]!.id;
    const last = events[events.length - 1]!.id;
    let full: Uint8Array | undefined;
    let embed: Uint8Array | undefined;
    for (const c of [...st.conns]) {
      if (c.lastId >= last) continue;
      if (c.lastId >= first) {
        // Replayed part of this batch already: send only the rest.
        this.write(
          c,
          encodeEvents(
            events.filter((e) => e.id > c.lastId),
            this.viewOf(c),
          ),
        );
      } else if (c.embedTokenId) {
        embed ??= encodeEvents(events, embedView);
        this.write(c, embed);
      } else {
        full ??= encodeEvents(events, fullView);
        this.write(c, full);
      }
      c.lastId = last;
    }
  }

  private gap(org: string | null): void {
    this.buffer.reset(org);
    for (const [o, st] of this.orgs) {
      if (org !== null && o !== org) continue;
      for (const c of st.conns) this.write(c, encodeResync('gap', undefined));
    }
  }

  private async beat(): Promise<void> {
    const embedTokens = new Set<string>();
    const users: Connection[] = [];
    const now = Date.now();
    for (const st of this.orgs.values()) {
      for (const c of st.conns) {
        if (c.user && c.user.expiresAt <= now) {
          this.end(c, undefined); // the client reconnects with fresh credentials
          continue;
        }
        this.write(c, HEARTBEAT);
        if (c.embedTokenId) embedTokens.add(c.embedTokenId);
        if (c.user) users.push(c);
      }
    }
    await Promise.all([this.recheckEmbeds(embedTokens), this.recheckUsers(users)]);
  }

  private async recheckEmbeds(ids: Set<string>): Promise<void> {
    if (ids.size === 0 || !this.deps.validEmbedTokens) return;
    const valid = await this.deps.validEmbedTokens([...ids]).catch(() => undefined);
    if (!valid) return;
    for (const id of ids) if (!valid.has(id)) this.closeEmbed(id);
  }

  private async recheckUsers(conns: Connection[]): Promise<void> {
    const check = this.deps.validUser;
    if (!check || conns.length === 0) return;
    const verdicts = new Map<string, Promise<boolean>>();
    for (const c of conns) {
      const { claims } = c.user!;
      const key = `${claims.organizationId}:${claims.userId}:${claims.role}:${claims.issuedAtMs}`;
      let v = verdicts.get(key);
      if (!v) {
        v = check(claims).catch(() => true);
        verdicts.set(key, v);
      }
      if (!(await v)) this.end(c, undefined);
    }
  }
}
