import { createHash } from 'node:crypto';
import { EVENT_TYPES } from '@heed/protocol';
import { fingerprint } from './profile.js';

/** Column names understood by the importer (case and `_`/`-` insensitive); other columns become properties. */
const ALIASES: Record<string, readonly string[]> = {
  type: ['type'],
  messageId: ['messageid', 'message_id', 'id_message'],
  userId: ['userid', 'user_id', 'externalid', 'external_id', 'customerid', 'customer_external_id'],
  anonymousId: ['anonymousid', 'anonymous_id'],
  event: ['event', 'eventtype', 'event_type', 'event_name'],
  timestamp: ['timestamp', 'time', 'createdat', 'created_at', 'date', 'sent_at'],
  channel: ['channel'],
  content: ['content', 'text', 'message', 'body'],
  segment: ['segment'],
  metadata: ['metadata'],
  properties: ['properties'],
  context: ['context'],
  traits: ['traits'],
};
const norm = (k: string) => k.toLowerCase().replace(/[-\s]/g, '_');
const LOOKUP = new Map<string, string>();
for (const [field, names] of Object.entries(ALIASES)) {
  for (const n of names) LOOKUP.set(norm(n), field);
  LOOKUP.set(norm(field), field);
}
/** Export columns that are derived on the way in again, not imported as properties. */
const DERIVED = new Set([
  'id',
  'customer_id',
  'sentiment_label',
  'sentiment_score',
  'sentiment_confidence',
  'processed_at',
]);

function objectOf(v: unknown): Record<string, unknown> | null {
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * A file record as a native event (the same shape /v1/batch takes), so that imports go through the
 * same validation, dedupe and enrichment. Without a message id, one is derived from the record's
 * content: importing the same file twice stores nothing the second time.
 */
export function recordToEvent(rec: Record<string, unknown>): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    const field = LOOKUP.get(norm(k));
    if (field && known[field] === undefined) known[field] = v;
    else if (!DERIVED.has(norm(k)) && v !== null && v !== undefined) extra[k] = v;
  }
  const meta = objectOf(known.metadata) ?? {};
  const properties = {
    ...(objectOf(meta.properties) ?? {}),
    ...(objectOf(known.properties) ?? {}),
    ...extra,
  };
  const context = { ...(objectOf(meta.context) ?? {}), ...(objectOf(known.context) ?? {}) };
  const traits = objectOf(known.traits) ?? objectOf(meta.traits);
  if (known.content !== null && known.content !== undefined) properties.content = known.content;
  if (known.channel !== null && known.channel !== undefined) context.channel = known.channel;
  if (known.segment !== null && known.segment !== undefined) {
    context.traits = { ...(objectOf(context.traits) ?? {}), segment: known.segment };
  }
  const rawType =
    typeof known.type === 'string' ? known.type : typeof meta.type === 'string' ? meta.type : 'track';
  const type = (EVENT_TYPES as readonly string[]).includes(rawType) ? rawType : 'track';
  const event: Record<string, unknown> = {
    type,
    messageId:
      known.messageId !== null && known.messageId !== undefined
        ? String(known.messageId)
        : `import-${createHash('sha256').update(fingerprint(rec)).digest('hex').slice(0, 32)}`,
    properties,
    context,
  };
  if (known.userId !== null && known.userId !== undefined) event.userId = String(known.userId);
  if (known.anonymousId !== null && known.anonymousId !== undefined)
    event.anonymousId = String(known.anonymousId);
  if (known.event !== null && known.event !== undefined) event.event = String(known.event);
  if (known.timestamp !== null && known.timestamp !== undefined) {
    const t = known.timestamp;
    // Epoch numbers (seconds or milliseconds) as well as ISO strings.
    event.timestamp =
      typeof t === 'number' || (typeof t === 'string' && /^\d{9,13}$/.test(t))
        ? new Date(Number(t) < 1e11 ? Number(t) * 1000 : Number(t)).toISOString()
        : t;
  }
  if (traits) event.traits = traits;
  return event;
}
