import type { HubEvent, SequencedEvent } from './hub.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; stay well under. */
export const MAX_MESSAGE_BYTES = 7000;

interface Message {
  /** Publishing instance. */
  o: string;
  /** Organization. */
  g: string;
  e: Array<[HubEvent['type'], unknown]>;
}

/**
 * Splits an organization's events into messages under `maxBytes` (JSON). An event too large on its
 * own travels as its id only: clients read rows over REST, the stream carries what changed.
 */
export function packMessages(
  origin: string,
  organizationId: string,
  events: HubEvent[],
  maxBytes = MAX_MESSAGE_BYTES,
): Array<{ count: number; payload: string }> {
  const out: Array<{ count: number; payload: string }> = [];
  const overhead = Buffer.byteLength(JSON.stringify({ o: origin, g: organizationId, e: [] })) + 24;
  let batch: string[] = [];
  let size = overhead;
  const close = () => {
    if (batch.length === 0) return;
    out.push({
      count: batch.length,
      payload: `{"o":${JSON.stringify(origin)},"g":${JSON.stringify(organizationId)},"e":[${batch.join(',')}]}`,
    });
    batch = [];
    size = overhead;
  };
  for (const e of events) {
    let item = JSON.stringify([e.type, e.data]);
    if (Buffer.byteLength(item) + overhead > maxBytes) item = JSON.stringify([e.type, compact(e.data)]);
    const bytes = Buffer.byteLength(item) + 1;
    if (size + bytes > maxBytes) close();
    batch.push(item);
    size += bytes;
  }
  close();
  return out;
}

function compact(data: unknown): unknown {
  const id = (data as { id?: unknown } | null)?.id;
  return { id: typeof id === 'string' || typeof id === 'number' ? id : null, truncated: true };
}

/** `<last id>|<message>` back to numbered events; null when malformed. */
export function unpackMessage(
  text: string,
): { origin: string; organizationId: string; events: SequencedEvent[] } | null {
  const bar = text.indexOf('|');
  const last = Number(text.slice(0, bar));
  if (bar < 1 || !Number.isSafeInteger(last)) return null;
  try {
    const m = JSON.parse(text.slice(bar + 1)) as Message;
    const first = last - m.e.length + 1;
    return {
      origin: m.o,
      organizationId: m.g,
      events: m.e.map(([type, data], i) => ({ id: first + i, type, data })),
    };
  } catch {
    return null;
  }
}
