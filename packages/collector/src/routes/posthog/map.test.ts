import { validateEvent } from '@heed/protocol';
import { describe, expect, it } from 'vitest';
import { distinctIdOf, fromPosthog, type PosthogMapOptions } from './map.js';

type Mapped = { [k: string]: unknown; context: Record<string, unknown> };
const now = Date.parse('2026-06-01T12:00:00.000Z');
const opts: PosthogMapOptions = {
  receivedAt: now,
  sentAt: undefined,
  retryCount: undefined,
  fromBrowser: false,
};
const map = (raw: Record<string, unknown>, o: Partial<PosthogMapOptions> = {}) =>
  fromPosthog(raw, { ...opts, ...o }) as Mapped;
/** Mapped and validated: what the pipeline would store. */
const normalized = (raw: Record<string, unknown>, o: Partial<PosthogMapOptions> = {}) => {
  const r = validateEvent(map(raw, o), { receivedAt: now, sentAt: o.sentAt });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.event;
};

describe('fromPosthog', () => {
  it('maps a capture: distinct_id, event name, uuid, text content, channel, properties without the token', () => {
    const e = normalized({
      event: 'Chat Message',
      distinct_id: 'user-7',
      uuid: '0190a1b2-0000-7000-8000-000000000001',
      timestamp: '2026-06-01T11:59:00.000Z',
      properties: {
        token: 'hk_w_secret',
        distinct_id: 'user-7',
        message: 'Support was great',
        channel: 'chat',
        $lib: 'posthog-node',
        $lib_version: '5.0.0',
      },
    });
    expect(e).toMatchObject({
      type: 'track',
      externalId: 'user-7',
      userId: 'user-7',
      eventType: 'Chat Message',
      messageId: '0190a1b2-0000-7000-8000-000000000001',
      content: 'Support was great',
      channel: 'chat',
      timestamp: Date.parse('2026-06-01T11:59:00.000Z'),
    });
    expect(e.properties).not.toHaveProperty('token');
    expect(e.properties).not.toHaveProperty('distinct_id');
    expect(e.context.library).toEqual({ name: 'posthog-node', version: '5.0.0' });
  });

  it('finds distinct_id at the top, as $distinct_id or in properties, stringified and cut to 200', () => {
    expect(normalized({ event: 'x', $distinct_id: 'a', uuid: 'u1' }).externalId).toBe('a');
    expect(normalized({ event: 'x', properties: { distinct_id: 'b' }, uuid: 'u2' }).externalId).toBe('b');
    expect(normalized({ event: 'x', distinct_id: 42, uuid: 'u3' }).externalId).toBe('42');
    expect(distinctIdOf('z'.repeat(300))).toHaveLength(200);
    expect(distinctIdOf('  ')).toBeUndefined();
  });

  it('turns offset into a timestamp before the send time (or now), ignoring the client timestamp', () => {
    const sentAt = now - 1000;
    expect(normalized({ event: 'x', distinct_id: 'a', uuid: 'o1', offset: 5000 }).timestamp).toBe(now - 5000);
    expect(normalized({ event: 'x', distinct_id: 'a', uuid: 'o2', offset: 5000 }, { sentAt }).timestamp).toBe(
      sentAt - 5000,
    );
    const withBoth = {
      event: 'x',
      distinct_id: 'a',
      uuid: 'o3',
      offset: 100,
      timestamp: '2020-01-01T00:00:00Z',
    };
    expect(normalized(withBoth).timestamp).toBe(now - 100);
  });

  it('corrects a wrong client clock through offset: the send time cancels out', () => {
    const fastClock = now + 3_600_000; // sentAt from a clock an hour fast
    const e = normalized({ event: 'x', distinct_id: 'a', uuid: 'o4', offset: 2000 }, { sentAt: fastClock });
    expect(e.timestamp).toBe(now - 2000);
  });

  it('maps $identify and $set to identify with $set as traits, $anon_distinct_id as anonymousId', () => {
    const e = normalized({
      event: '$identify',
      distinct_id: 'user-1',
      uuid: 'i1',
      properties: {
        $set: { email: 'ann@example.com', segment: 'enterprise' },
        $set_once: { first: 'x' },
        $anon_distinct_id: 'anon-1',
      },
    });
    expect(e).toMatchObject({
      type: 'identify',
      userId: 'user-1',
      anonymousId: 'anon-1',
      externalId: 'user-1',
    });
    expect(e.traits).toEqual({ email: 'ann@example.com', segment: 'enterprise' });
    expect(e.properties).not.toHaveProperty('$set');
    expect(e.properties.$set_once).toEqual({ first: 'x' });
    const set = normalized({ event: '$set', distinct_id: 'user-1', uuid: 'i2', $set: { segment: 'smb' } });
    expect(set).toMatchObject({ type: 'identify', traits: { segment: 'smb' } });
  });

  it('keeps $set on other events as context.traits (so the segment follows)', () => {
    const e = normalized({
      event: 'Upgraded',
      distinct_id: 'u',
      uuid: 's1',
      properties: { $set: { segment: 'pro' } },
    });
    expect(e.type).toBe('track');
    expect(e.context.traits).toEqual({ segment: 'pro' });
  });

  it('maps $pageview to page (web) and $screen to screen (mobile), with a context from $ properties', () => {
    const page = normalized({
      event: '$pageview',
      distinct_id: 'u',
      uuid: 'p1',
      properties: {
        $lib: 'web',
        $current_url: 'https://shop.example/cart',
        $pathname: '/cart',
        $session_id: 's',
      },
    });
    expect(page).toMatchObject({ type: 'page', eventType: 'page', channel: 'web' });
    expect(page.context.page).toEqual({ url: 'https://shop.example/cart', path: '/cart' });
    expect(page.context.sessionId).toBe('s');
    const screen = normalized({
      event: '$screen',
      distinct_id: 'u',
      uuid: 'p2',
      properties: { $lib: 'posthog-ios' },
    });
    expect(screen).toMatchObject({ type: 'screen', channel: 'mobile' });
  });

  it('maps $create_alias to alias and $groupidentify to group', () => {
    const alias = map({
      event: '$create_alias',
      distinct_id: 'new',
      uuid: 'a1',
      properties: { alias: 'old' },
    });
    expect(alias).toMatchObject({ type: 'alias', userId: 'new', previousId: 'old' });
    const group = map({
      event: '$groupidentify',
      distinct_id: '$company_acme',
      uuid: 'g1',
      properties: { $group_type: 'company', $group_key: 'acme', $group_set: { plan: 'pro' } },
    });
    expect(group).toMatchObject({ type: 'group', groupId: 'company:acme', traits: { plan: 'pro' } });
  });

  it('treats any other event name as a track, even one that is an Object property name', () => {
    for (const event of ['constructor', 'toString', '__proto__', 'Signed Up']) {
      expect(normalized({ event, distinct_id: 'u', uuid: `t-${event}` })).toMatchObject({
        type: 'track',
        eventType: event,
      });
    }
  });

  it('marks a person posthog-js says is not identified as anonymous', () => {
    const e = normalized({
      event: 'x',
      distinct_id: 'dev-1',
      uuid: 'n1',
      properties: { $is_identified: false },
    });
    expect(e).toMatchObject({ userId: null, anonymousId: 'dev-1', externalId: 'dev-1' });
  });

  it('records retry_count, and gives events without uuid a deterministic id only when they carry a timestamp', () => {
    expect(map({ event: 'x', distinct_id: 'a', uuid: 'r' }, { retryCount: 2 }).context.retryCount).toBe(2);
    expect(map({ event: 'x', distinct_id: 'a', uuid: 'r' }, { retryCount: 0 }).context).not.toHaveProperty(
      'retryCount',
    );
    const stamped = { event: 'x', distinct_id: 'a', timestamp: '2026-06-01T11:00:00Z' };
    expect(map(stamped).messageId).toBe(map({ ...stamped, api_key: 'k' }).messageId);
    expect(map({ event: 'x', distinct_id: 'a' }).messageId).not.toBe(
      map({ event: 'x', distinct_id: 'a' }).messageId,
    );
  });

  it('leaves errors to validation: no distinct_id, no event name', () => {
    const r = validateEvent(map({ uuid: 'e1', properties: {} }), { receivedAt: now, index: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.field).sort()).toEqual(['event', 'userId']);
  });
});
