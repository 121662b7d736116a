import { describe, expect, it } from 'vitest';
import { parseBatchEnvelope, utf8Length, validateEvent } from './validate.js';

const now = Date.parse('2026-11-22T12:00:00Z');
const base = {
  type: 'track',
  messageId: 'm-1',
  timestamp: '2026-11-22T11:59:00Z',
  userId: 'u-1',
  event: 'Support Email',
  properties: { content: 'The export is broken again' },
  context: { channel: 'email' },
};

describe('validateEvent', () => {
  it('maps a valid track event to an interaction', () => {
    const r = validateEvent(base, { receivedAt: now });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({
      externalId: 'u-1',
      eventType: 'Support Email',
      channel: 'email',
      content: 'The export is broken again',
      timestamp: Date.parse('2026-11-22T11:59:00Z'),
      clockSkewMs: 0,
    });
  });

  it('falls back from userId to anonymousId and from content to text and message', () => {
    const r = validateEvent(
      { ...base, userId: undefined, anonymousId: 'anon-9', properties: { message: 'hi' } },
      { receivedAt: now },
    );
    expect(r.ok && r.event.externalId).toBe('anon-9');
    expect(r.ok && r.event.content).toBe('hi');
  });

  it('reports every bad field with the item index', () => {
    const r = validateEvent(
      { type: 'track', messageId: '', context: { channel: 'fax' }, timestamp: 'yesterday' },
      { receivedAt: now, index: 3 },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.errors.map((e) => e.field).sort();
    expect(fields).toEqual(['context.channel', 'event', 'messageId', 'timestamp', 'userId']);
    expect(r.errors.every((e) => e.index === 3)).toBe(true);
  });

  it('requires content on text channels', () => {
    const r = validateEvent({ ...base, properties: {} }, { receivedAt: now });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatchObject({ field: 'properties.content' });
    const blank = validateEvent({ ...base, properties: { text: '   ' } }, { receivedAt: now });
    expect(!blank.ok && blank.errors[0]).toMatchObject({
      field: 'properties.text',
      message: 'must not be empty',
    });
  });

  it('does not require content on web events', () => {
    const r = validateEvent({ ...base, context: {}, properties: {} }, { receivedAt: now });
    expect(r.ok && r.event.channel).toBe('web');
    expect(r.ok && r.event.content).toBeNull();
  });

  it('rejects timestamps in the future beyond five minutes', () => {
    const r = validateEvent({ ...base, timestamp: '2026-11-22T12:06:00Z' }, { receivedAt: now });
    expect(!r.ok && r.errors[0]?.message).toBe('must not be in the future');
    const ok = validateEvent({ ...base, timestamp: '2026-11-22T12:04:00Z' }, { receivedAt: now });
    expect(ok.ok).toBe(true);
  });

  it('corrects a wrong client clock from sentAt and keeps the original', () => {
    // Client clock is one hour ahead: it sent at 13:00 (its time) an event it stamped 12:59.
    const r = validateEvent(
      { ...base, timestamp: '2026-11-22T12:59:00Z' },
      { receivedAt: now, sentAt: Date.parse('2026-11-22T13:00:00Z') },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(new Date(r.event.timestamp).toISOString()).toBe('2026-11-22T11:59:00.000Z');
    expect(r.event.originalTimestamp).toBe('2026-11-22T12:59:00Z');
    expect(r.event.clockSkewMs).toBe(3_600_000);
  });

  it('leaves timestamps alone when sentAt is within network latency', () => {
    const r = validateEvent(base, { receivedAt: now, sentAt: now - 500 });
    expect(r.ok && r.event.originalTimestamp).toBeNull();
  });

  it('rejects events over 32 KB', () => {
    const r = validateEvent(
      { ...base, properties: { content: 'x'.repeat(33 * 1024) } },
      { receivedAt: now, index: 0 },
    );
    expect(!r.ok && r.errors[0]?.message).toMatch(/limit is 32768/);
  });

  it('rejects non-objects', () => {
    for (const v of [null, 1, 'x', [], true]) expect(validateEvent(v, { receivedAt: now }).ok).toBe(false);
  });
});

describe('parseBatchEnvelope', () => {
  it('accepts a batch and parses sentAt', () => {
    const e = parseBatchEnvelope({ batch: [base], sentAt: '2026-11-22T12:00:00Z' });
    expect(e.errors).toEqual([]);
    expect(e.items).toHaveLength(1);
    expect(e.sentAt).toBe(now);
  });
  it('rejects a missing or empty batch', () => {
    expect(parseBatchEnvelope({}).errors[0]?.field).toBe('batch');
    expect(parseBatchEnvelope({ batch: [] }).errors[0]?.message).toBe('must not be empty');
    expect(parseBatchEnvelope('x').errors[0]?.field).toBe('');
  });
});

describe('utf8Length', () => {
  it('counts multi-byte characters', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
  });
});
