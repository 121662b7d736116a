import type { SequencedEvent } from './hub.js';

const encoder = new TextEncoder();

/** What a client of a view receives for an event. */
export type EventView = (e: SequencedEvent) => unknown;

/** Full events for dashboard users. */
export const fullView: EventView = (e) => ({ id: String(e.id), data: e.data });

/** Embedded widgets only learn that something changed (they refetch the aggregates they show). */
export const embedView: EventView = (e) => ({ id: String(e.id) });

/**
 * Encodes events as SSE messages: each run of consecutive events of one type becomes one message
 * (`event: <type>`, `id: <last id>`, `data: [ … ]`); several messages go in one write.
 */
export function encodeEvents(events: SequencedEvent[], view: EventView): Uint8Array {
  let out = '';
  for (let i = 0; i < events.length; ) {
    const type = events[i]!.type;
    let j = i;
    while (j < events.length && events[j]!.type === type) j++;
    const run = events.slice(i, j);
    // JSON.stringify escapes CR and LF, so the data stays on one line.
    out += `id: ${run[run.length - 1]!.id}\nevent: ${type}\ndata: ${JSON.stringify(run.map(view))}\n\n`;
    i = j;
  }
  return encoder.encode(out);
}

export function encodeResync(reason: string, newest: number | undefined): Uint8Array {
  const id = newest === undefined ? '' : `id: ${newest}\n`;
  return encoder.encode(`${id}event: resync\ndata: ${JSON.stringify({ reason })}\n\n`);
}

export const HEARTBEAT = encoder.encode(': heartbeat\n\n');

export function encodeHello(retryMs: number): Uint8Array {
  return encoder.encode(`retry: ${retryMs}\n: connected\n\n`);
}
