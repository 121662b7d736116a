import type { EventType } from '@heed/protocol';
import { isPlainObject } from '@heed/protocol';
import { fallbackMessageId, inferChannel } from '../../ingest/compat.js';

/** The single-event paths of Segment's HTTP API and analytics.js's short paths, by call type. */
export const SEGMENT_SINGLE_PATHS: Record<string, EventType> = {
  track: 'track',
  identify: 'identify',
  page: 'page',
  screen: 'screen',
  group: 'group',
  alias: 'alias',
  t: 'track',
  i: 'identify',
  p: 'page',
  s: 'screen',
  g: 'group',
  a: 'alias',
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Sets `context.channel` on a Segment event that names none (Segment clients never do; Heed's SDKs
 * always do, so native events pass unchanged). See `inferChannel` for the rule.
 */
export function withChannel(raw: unknown, fromBrowser: boolean): unknown {
  if (!isPlainObject(raw)) return raw;
  const context = raw.context;
  if (context !== undefined && context !== null && !isPlainObject(context)) return raw; // validation reports it
  const ctx = context ?? {};
  if (ctx.channel !== undefined && ctx.channel !== null) return raw;
  const library = isPlainObject(ctx.library) ? str(ctx.library.name) : undefined;
  const device = isPlainObject(ctx.device) ? str(ctx.device.type) : undefined;
  const channel = inferChannel({
    properties: isPlainObject(raw.properties) ? raw.properties : {},
    library,
    deviceType: device,
    type: typeof raw.type === 'string' ? raw.type : '',
    fromBrowser,
  });
  return { ...raw, context: { ...ctx, channel } };
}

/**
 * A Segment event (from `/v1/{type}`, `/v1/{t,i,p,s,g,a}` or `/v1/b`) as a protocol event: the call
 * type from the path, transport fields (`writeKey`, `sentAt`, `_metadata`) dropped, a messageId when
 * the caller sent none (Segment's libraries always send one; raw HTTP callers may not), the channel.
 */
export function fromSegment(raw: unknown, opts: { type?: EventType; fromBrowser: boolean }): unknown {
  if (!isPlainObject(raw)) return raw;
  const { writeKey: _writeKey, sentAt: _sentAt, _metadata, ...event } = raw;
  if (opts.type) event.type = opts.type;
  if (typeof event.messageId !== 'string' || event.messageId.trim() === '') {
    event.messageId = fallbackMessageId(event);
  }
  return withChannel(event, opts.fromBrowser);
}
