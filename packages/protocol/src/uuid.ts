/** Web Crypto, present in browsers, workers and Node 20 alike (typed here: this package has no DOM/Node types). */
declare const crypto: { getRandomValues(array: Uint16Array): Uint16Array };

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

let lastMs = 0;
let seq = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit unix milliseconds, a 12-bit counter, then 62 random bits, so ids
 * sort by creation time. Within one millisecond the counter (starting at a random value below
 * 2048) keeps the ids of one process monotonic; when it wraps, the clock part moves on by 1 ms.
 */
export function uuidv7(now: number = Date.now()): string {
  const r = crypto.getRandomValues(new Uint16Array(5));
  if (now > lastMs) {
    lastMs = now;
    seq = r[0]! & 0x7ff;
  } else {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs++;
  }
  const t = hex(lastMs, 12);
  return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(seq, 3)}-${hex(0x8000 | (r[1]! & 0x3fff), 4)}-${hex(r[2]!, 4)}${hex(r[3]!, 4)}${hex(r[4]!, 4)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
