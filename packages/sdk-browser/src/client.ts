import type { EventContext, EventType, JsonObject } from '@heed/protocol';
import {
  buildEvent,
  type CoreEvents,
  type CoreSettings,
  check,
  createEngine,
  type EventFields,
  type Listener,
  type QueueStorage,
  resolveSettings,
  validateSettings,
} from '@heed/sdk-core';
import { pageContext } from './context.js';
import { kv, loadUser, touchSession, type User } from './identity.js';
import { browserStorage } from './storage.js';
import { beacon, gzip } from './transport.js';

export const VERSION = '0.1.0';
const LIBRARY = { name: '@heed/sdk-browser', version: VERSION };

/** Settings of the browser SDK: the core settings, minus the seams it supplies, plus these. */
export interface BrowserSettings extends Omit<CoreSettings, 'beacon' | 'storage'> {
  /** Opt out when the browser sends Do-Not-Track or Global Privacy Control. Default false. */
  respectDoNotTrack?: boolean;
  /** Keep the queue in IndexedDB (localStorage fallback) so it survives reloads. Default true. */
  persist?: boolean;
  /** Gzip request bodies with CompressionStream when available. Default true. */
  gzip?: boolean;
  /** A session ends after this long without events, in ms. Default 30 minutes. */
  sessionTimeoutMs?: number;
  /** Replace the queue storage (tests, custom stores). Default: IndexedDB per `persist`. */
  storage?: QueueStorage;
}

/** Per-call options. */
export interface CallOptions {
  timestamp?: Date | string;
  messageId?: string;
  context?: EventContext;
}

export interface Heed {
  /** Records an action: `track('Signed Up', { plan: 'pro' })`. */
  track(event: string, properties?: JsonObject, options?: CallOptions): Promise<void>;
  /** Records a page view; name defaults to the document title. */
  page(name?: string, properties?: JsonObject, options?: CallOptions): Promise<void>;
  /** Records a screen view (single-page apps with screens). */
  screen(name: string, properties?: JsonObject, options?: CallOptions): Promise<void>;
  /** Ties the visitor to your user id and remembers traits; later events carry the userId. */
  identify(userId?: string, traits?: JsonObject, options?: CallOptions): Promise<void>;
  /** Associates the user with a company or team. */
  group(groupId: string, traits?: JsonObject, options?: CallOptions): Promise<void>;
  /** Merges a previous id (default: the current one) into `userId`. */
  alias(userId: string, previousId?: string, options?: CallOptions): Promise<void>;
  /** Forgets the user (log out): new anonymous id and session. */
  reset(): void;
  /** Sends everything queued now. */
  flush(): Promise<void>;
  /** Stops tracking on this browser (remembered across visits). */
  optOut(): void;
  optIn(): void;
  /** Listens to `delivered`, `dropped` and `error`; returns an unsubscribe function. */
  on<K extends keyof CoreEvents>(type: K, fn: Listener<K>): () => void;
  /** The visitor's ids and traits. */
  user(): Readonly<User>;
}

/**
 * Creates the browser client. Throws ValidationError for wrong settings; nothing after that throws.
 */
export function createHeed(settings: BrowserSettings): Heed {
  validateBrowserSettings(settings);
  return createClient(settings);
}

/** Checks browser settings, naming the first wrong one (ValidationError). */
export function validateBrowserSettings(settings: BrowserSettings): void {
  validateSettings(settings as CoreSettings);
  const t = settings.sessionTimeoutMs;
  check(t === undefined || t > 0, 'sessionTimeoutMs');
}

/** The client, from settings checked already: the `<script>` build's entry (see validateSettings). */
export function createClient(settings: BrowserSettings): Heed {
  const {
    respectDoNotTrack,
    persist = true,
    gzip: useGzip = true,
    sessionTimeoutMs = 18e5,
    ...rest
  } = settings;
  const store = kv('heed_');
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const resolved = resolveSettings({
    storage: persist ? browserStorage(`heed_${settings.writeKey}`) : undefined,
    compress: useGzip ? gzip : undefined,
    ...rest,
    optedOut:
      rest.optedOut ||
      (respectDoNotTrack && (nav.doNotTrack === '1' || nav.globalPrivacyControl)) ||
      store.get<boolean>('optout'),
    beacon,
  } as CoreSettings);
  const core = createEngine(resolved);
  let user = loadUser(store);
  const setOptOut = (out: boolean) => {
    store.set('optout', out);
    resolved.optedOut = out;
  };

  const send = (type: EventType, fields: EventFields, o?: CallOptions): Promise<void> =>
    core.enqueue(
      buildEvent(
        type,
        {
          userId: user.userId,
          anonymousId: user.anonymousId,
          ...fields,
          ...o,
          context: {
            ...pageContext(),
            ...o?.context,
            sessionId: touchSession(store, sessionTimeoutMs),
            traits: user.traits,
          },
        },
        LIBRARY,
      ),
    );
  /** A call whose first two arguments become the fields `key` and `bag` of the event. */
  const call =
    (type: EventType, key: keyof EventFields, bag: 'properties' | 'traits') =>
    (a?: string, b?: JsonObject, o?: CallOptions) =>
      send(type, { [key]: a, [bag]: b }, o);

  const hide = () => core.flushOnUnload();
  addEventListener('pagehide', hide);
  document.addEventListener('visibilitychange', () => document.hidden && hide());

  return {
    track: call('track', 'event', 'properties'),
    page: (name, properties, o) => send('page', { name: name ?? document.title, properties }, o),
    screen: call('screen', 'name', 'properties'),
    identify(userId, traits, o) {
      user = { ...user, userId: userId ?? user.userId, traits: { ...user.traits, ...traits } };
      store.set('user', user);
      return send('identify', { traits }, o);
    },
    group: call('group', 'groupId', 'traits'),
    alias: (userId, previousId, o) =>
      send('alias', { userId, previousId: previousId ?? user.userId ?? user.anonymousId }, o),
    reset() {
      store.set('user', null);
      store.set('session', null);
      user = loadUser(store);
    },
    flush: core.flush,
    optOut: () => setOptOut(true),
    optIn: () => setOptOut(false),
    on: core.on,
    user: () => user,
  };
}
