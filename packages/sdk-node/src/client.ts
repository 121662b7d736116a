import type { Channel, EventContext, EventType, HeedEvent, JsonObject } from '@heed/protocol';
import { validateEvent } from '@heed/protocol';
import {
  buildEvent,
  type CoreEvents,
  type CoreSettings,
  check,
  createCore,
  type EventFields,
  type Listener,
  type ShutdownResult,
  shutdown,
} from '@heed/sdk-core';
import { installProcessHooks } from './process-hooks.js';
import { gzip, undiciTransport, withHeaders } from './transport.js';

export const VERSION = '0.1.0';
const LIBRARY = { name: '@heed/sdk-node', version: VERSION };

/** Settings of the Node SDK: the core settings (see CoreSettings for their defaults) plus these. */
export interface NodeSettings extends Omit<CoreSettings, 'beacon'> {
  /** Channel of events that name none. Default: none (the collector then assumes `web`). */
  defaultChannel?: Channel;
  /** Gzip request bodies. Default true. */
  gzip?: boolean;
  /**
   * Serverless mode: every call's promise resolves only once its event was sent (or given up
   * for now), so `await heed.track(...)` delivers before the function returns. Default false.
   */
  serverless?: boolean;
  /** Flush on `beforeExit` and SIGTERM. Default true (false in serverless mode). */
  handleExit?: boolean;
  /** How long `shutdown()` and the exit hooks wait for delivery, in ms. Default 10,000. */
  shutdownTimeoutMs?: number;
  /**
   * What a full queue (`maxQueueSize`) does: `drop-oldest` drops the oldest event and reports it
   * (`dropped`, reason `queue_full`); `backpressure` makes the promise returned by each call wait
   * for room, in call order. Default `drop-oldest`.
   */
  overflow?: 'drop-oldest' | 'backpressure';
}

/** Who an event is about: userId, or anonymousId when the user is not known. */
export interface Identity {
  userId?: string;
  anonymousId?: string;
}

/** Fields every call accepts. */
export interface Common extends Identity {
  /** Where the interaction happened. Default: `defaultChannel`. */
  channel?: Channel;
  timestamp?: Date | string;
  /** Idempotency key: sending the same messageId twice stores it once. Default: a new UUIDv7. */
  messageId?: string;
  context?: EventContext;
}

export interface TrackMessage extends Common {
  event: string;
  properties?: JsonObject;
  /** Text of the interaction (goes to properties.content); required on email and chat. */
  content?: string;
}

export interface InteractionMessage extends Common {
  channel: Channel;
  content: string;
  /** Event name. Default: per channel, e.g. `Support Email`, `Chat Transcript`, `Phone Call`. */
  event?: string;
  properties?: JsonObject;
}

const DEFAULT_EVENT: Record<Channel, string> = {
  email: 'Support Email',
  chat: 'Chat Transcript',
  phone: 'Phone Call',
  web: 'Interaction',
  mobile: 'Interaction',
};

export interface HeedNode {
  track(msg: TrackMessage): Promise<void>;
  identify(msg: Common & { traits?: JsonObject }): Promise<void>;
  page(msg: Common & { name?: string; properties?: JsonObject }): Promise<void>;
  screen(msg: Common & { name: string; properties?: JsonObject }): Promise<void>;
  group(msg: Common & { groupId: string; traits?: JsonObject }): Promise<void>;
  alias(msg: Common & { userId: string; previousId: string }): Promise<void>;
  /** A customer interaction with text: its channel and content. */
  interaction(msg: InteractionMessage): Promise<void>;
  /** A support email (channel `email`). */
  supportEmail(
    msg: Common & { content: string; subject?: string; from?: string; properties?: JsonObject },
  ): Promise<void>;
  /** A chat transcript (channel `chat`); give `messages` or the `content` text. */
  chatTranscript(
    msg: Common & { messages?: { role: string; text: string }[]; content?: string; properties?: JsonObject },
  ): Promise<void>;
  /** Notes from a phone call (channel `phone`). */
  phoneNote(
    msg: Common & { content: string; durationSeconds?: number; properties?: JsonObject },
  ): Promise<void>;
  /** Sends everything queued now. */
  flush(): Promise<void>;
  /** Delivers everything queued within timeoutMs (default shutdownTimeoutMs), then closes. */
  shutdown(timeoutMs?: number): Promise<ShutdownResult>;
  /** Hands a flush promise to a platform's waitUntil (Vercel, Cloudflare Workers...). */
  waitUntil(register: (promise: Promise<unknown>) => void): void;
  /** Listens to `delivered`, `dropped` and `error`; returns an unsubscribe function. */
  on<K extends keyof CoreEvents>(type: K, fn: Listener<K>): () => void;
}

/** Creates the Node client. Throws ValidationError for wrong settings; nothing after that throws. */
export function createHeed(settings: NodeSettings): HeedNode {
  const {
    defaultChannel,
    gzip: useGzip = true,
    serverless = false,
    handleExit = !serverless,
    shutdownTimeoutMs = 10_000,
    overflow = 'drop-oldest',
    ...rest
  } = settings;
  check(/^(drop-oldest|backpressure)$/.test(overflow), 'overflow');
  const { fetch: ownFetch, ...more } = rest;
  check(ownFetch === undefined || typeof ownFetch === 'function', 'fetch');
  const core = createCore({
    compress: useGzip ? gzip : undefined,
    validate: (event) => {
      const r = validateEvent(event, { receivedAt: Date.now() });
      return r.ok ? [] : r.errors;
    },
    ...more,
    // any fetch, the default or the app's own, sends the write key and body type as headers
    fetch: withHeaders(String(rest.writeKey), ownFetch ?? undiciTransport()),
  } as CoreSettings);
  let enqueued = 0;
  let gate: Promise<unknown> = Promise.resolve();
  /** Backpressure: waits until the queue has room (or the client stopped: then drop-oldest applies). */
  const room = async () => {
    while (!core.stopped && (await core.stats()).size >= core.settings.maxQueueSize) {
      void core.flush();
      await new Promise<void>((resolve) => {
        const offs = [core.on('delivered', done), core.on('dropped', done)];
        const timer = setTimeout(done, 100); // room may also come from a retry becoming due
        function done() {
          for (const off of offs) off();
          clearTimeout(timer);
          resolve();
        }
      });
    }
  };
  /** Queues an event; with backpressure, one call at a time, each waiting for its own room. */
  const enqueue = (event: HeedEvent): Promise<void> => {
    if (overflow !== 'backpressure') return core.enqueue(event);
    const next = async () => {
      await room();
      await core.enqueue(event);
    };
    gate = gate.then(next, next);
    return gate as Promise<void>;
  };
  if (handleExit) installProcessHooks(core, shutdownTimeoutMs, () => enqueued);

  const send = (type: EventType, msg: Common & EventFields & { content?: string } = {}): Promise<void> => {
    const { channel = defaultChannel, content, context, ...fields } = msg ?? {};
    const properties = content === undefined ? fields.properties : { ...fields.properties, content };
    enqueued++;
    try {
      const queued = enqueue(
        buildEvent(
          type,
          { ...fields, properties, context: channel ? { ...context, channel } : context },
          LIBRARY,
        ),
      );
      return serverless ? queued.then(() => core.flush()) : queued;
    } catch {
      return Promise.resolve();
    }
  };
  const interaction = (msg: InteractionMessage) =>
    send('track', { ...msg, event: msg.event ?? DEFAULT_EVENT[msg.channel] });

  return {
    track: (msg) => send('track', msg),
    identify: (msg) => send('identify', msg),
    page: (msg) => send('page', msg),
    screen: (msg) => send('screen', msg),
    group: (msg) => send('group', msg),
    alias: (msg) => send('alias', msg),
    interaction,
    supportEmail: ({ subject, from, ...msg }) =>
      interaction({
        ...msg,
        channel: 'email',
        properties: { ...msg.properties, subject, from } as JsonObject,
      }),
    chatTranscript: ({ messages, content, ...msg }) =>
      interaction({
        ...msg,
        channel: 'chat',
        content: content ?? (messages ?? []).map((m) => `${m.role}: ${m.text}`).join('\n'),
        properties: messages ? { ...msg.properties, messages } : msg.properties,
      }),
    phoneNote: ({ durationSeconds, ...msg }) =>
      interaction({
        ...msg,
        channel: 'phone',
        properties: durationSeconds === undefined ? msg.properties : { ...msg.properties, durationSeconds },
      }),
    flush: () => gate.catch(() => {}).then(() => core.flush()),
    shutdown: (timeoutMs = shutdownTimeoutMs) => shutdown(core, timeoutMs),
    waitUntil: (register) => register(core.flush()),
    on: (type, fn) => core.on(type, fn),
  };
}
