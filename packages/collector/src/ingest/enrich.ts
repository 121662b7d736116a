import type { JsonObject, NormalizedEvent } from '@heed/protocol';
import { isPlainObject } from '@heed/protocol';
import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';

export interface Device {
  type: 'desktop' | 'mobile' | 'tablet' | 'tv' | 'console' | 'wearable' | 'bot' | 'unknown';
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  vendor: string | null;
  model: string | null;
}

export interface Geo {
  country: string | null;
  region: string | null;
  city: string | null;
  source: 'metadata' | 'header';
}

const BOT_RE = /bot|crawler|spider|crawling|headless|lighthouse|slurp|facebookexternalhit|preview/i;
const DESKTOP_OS = new Set([
  'Windows',
  'Mac OS',
  'macOS',
  'Linux',
  'Ubuntu',
  'Chromium OS',
  'Fedora',
  'Debian',
]);

const uaCache = new LRUCache<string, Device>({ max: 5000 });

/** Device normalised from a user agent string (ua-parser-js), cached. */
export function deviceFromUserAgent(ua: string): Device {
  const hit = uaCache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua).getResult();
  let type: Device['type'];
  if (BOT_RE.test(ua)) type = 'bot';
  else if (r.device.type === 'mobile' || r.device.type === 'tablet' || r.device.type === 'wearable')
    type = r.device.type;
  else if (r.device.type === 'smarttv') type = 'tv';
  else if (r.device.type === 'console') type = 'console';
  else if (r.os.name && DESKTOP_OS.has(r.os.name)) type = 'desktop';
  else type = 'unknown';
  const device: Device = {
    type,
    browser: r.browser.name ?? null,
    browserVersion: r.browser.major ?? null,
    os: r.os.name ?? null,
    osVersion: r.os.version ?? null,
    vendor: r.device.vendor ?? null,
    model: r.device.model ?? null,
  };
  uaCache.set(ua, device);
  return device;
}

/** Geolocation headers set by the usual CDNs and proxies, in order of preference. */
const GEO_HEADERS = {
  country: [
    'cf-ipcountry',
    'x-vercel-ip-country',
    'cloudfront-viewer-country',
    'x-appengine-country',
    'x-country-code',
  ],
  region: [
    'x-vercel-ip-country-region',
    'cloudfront-viewer-country-region',
    'x-appengine-region',
    'x-region-code',
  ],
  city: ['cf-ipcity', 'x-vercel-ip-city', 'cloudfront-viewer-city', 'x-appengine-city', 'x-city'],
} as const;

function str(v: unknown, max = 100): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : null;
}

/** Geo from the event's own context.location, else from proxy headers; null when neither has any. */
export function geoFrom(context: JsonObject, header: (name: string) => string | undefined): Geo | null {
  const loc = context.location;
  if (isPlainObject(loc)) {
    const geo = { country: str(loc.country), region: str(loc.region), city: str(loc.city) };
    if (geo.country || geo.region || geo.city) return { ...geo, source: 'metadata' };
  }
  const pick = (names: readonly string[]) => {
    for (const n of names) {
      const v = header(n);
      if (v && v !== 'XX' && v !== 'unknown') return str(decodeURIComponentSafe(v));
    }
    return null;
  };
  const geo = {
    country: pick(GEO_HEADERS.country),
    region: pick(GEO_HEADERS.region),
    city: pick(GEO_HEADERS.city),
  };
  return geo.country || geo.region || geo.city ? { ...geo, source: 'header' } : null;
}

function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

export interface RequestFacts {
  /** The request's User-Agent, used when the event carries none and it came from a browser. */
  userAgent: string | undefined;
  fromBrowser: boolean;
  header: (name: string) => string | undefined;
}

const CONTENT_KEYS = ['content', 'text', 'message'];

/**
 * The page context with what its URL says filled in: `page.path`, `page.search` and `campaign`
 * (the `utm_*` parameters: `utm_campaign` becomes `name`, any other `utm_x` becomes `x`). The
 * browser SDK sends only `page.url` (with referrer and title) to stay small, and the collector
 * derives the rest here, as the SDK's page used to. Fields the event carries itself are kept, and
 * a context without a parsable `page.url` is returned as it is.
 */
export function withPageFromUrl(context: JsonObject): JsonObject {
  const page = context.page;
  if (!isPlainObject(page) || typeof page.url !== 'string') return context;
  let url: URL;
  try {
    url = new URL(page.url);
  } catch {
    return context;
  }
  const out: JsonObject = { ...context, page: { path: url.pathname, search: url.search, ...page } };
  if (context.campaign === undefined) {
    const campaign: JsonObject = {};
    url.searchParams.forEach((v, k) => {
      if (k.startsWith('utm_')) campaign[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
    });
    if (Object.keys(campaign).length > 0) out.campaign = campaign;
  }
  return out;
}

/** The first language of an Accept-Language header (`en-US,en;q=0.9` is `en-US`); null when none. */
export function firstLanguage(header: string | undefined): string | null {
  const tag = header?.split(',')[0]?.split(';')[0]?.trim() ?? '';
  return /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/i.test(tag) ? tag : null;
}

/**
 * A browser's context with what its request says filled in: `userAgent` from the User-Agent header
 * and `locale` from the first Accept-Language tag, which are what `navigator.userAgent` and
 * `navigator.language` hold. The browser SDK leaves both to the collector to stay small; other
 * clients' own values are kept. Requests from servers (no Origin header) add nothing: their headers
 * describe the server, not the customer.
 */
export function withRequestContext(context: JsonObject, req: RequestFacts): JsonObject {
  if (!req.fromBrowser) return context;
  const out = { ...context };
  const ua = str(req.userAgent, 1000);
  if (out.userAgent === undefined && ua) out.userAgent = ua;
  const locale = firstLanguage(req.header('accept-language'));
  if (out.locale === undefined && locale) out.locale = locale;
  return out;
}

/** Metadata stored with an interaction: properties and context plus what the collector derived. */
export function buildMetadata(e: NormalizedEvent, req: RequestFacts): JsonObject {
  // The text used as content is stored in its own column, not twice.
  const contentKey = CONTENT_KEYS.find((k) => typeof e.properties[k] === 'string') ?? '';
  const { [contentKey]: _content, ...properties } = e.properties;
  const context = withPageFromUrl(withRequestContext(e.context, req));
  const meta: JsonObject = { type: e.type, properties, context };
  if (e.userId) meta.userId = e.userId;
  if (e.anonymousId) meta.anonymousId = e.anonymousId;
  if (Object.keys(e.traits).length > 0) meta.traits = e.traits;
  const ua = str(context.userAgent, 1000) ?? (req.fromBrowser ? str(req.userAgent, 1000) : null);
  if (ua) meta.device = deviceFromUserAgent(ua) as unknown as JsonObject;
  const geo = geoFrom(e.context, req.header);
  if (geo) meta.geo = geo as unknown as JsonObject;
  if (e.originalTimestamp !== null) {
    meta.originalTimestamp = e.originalTimestamp;
    meta.clockSkewMs = e.clockSkewMs;
  }
  return meta;
}

/** The customer segment an event names: identify traits, then context.traits. */
export function segmentOf(e: NormalizedEvent): string | null {
  const ctxTraits = isPlainObject(e.context.traits) ? e.context.traits : {};
  return str(e.traits.segment) ?? str(ctxTraits.segment);
}
