import type { Compress, SendBeacon } from '@heed/sdk-core';

/** Gzip with CompressionStream, where the browser has it. */
export const gzip: Compress = async (body) =>
  self.CompressionStream
    ? new Uint8Array(
        await new Response(
          new Blob([body]).stream().pipeThrough(new CompressionStream('gzip')),
        ).arrayBuffer(),
      )
    : null;

/**
 * Sends while the page goes away: sendBeacon, or fetch keepalive when the beacon is refused.
 * text/plain keeps it a simple CORS request (no preflight); the write key is in the body.
 */
export const beacon: SendBeacon = (url, body) => {
  try {
    if (navigator.sendBeacon(url, body)) return true; // a string body is sent as text/plain
  } catch {
    // fall through to fetch
  }
  fetch(url, { method: 'POST', body, keepalive: true }).catch(() => {}); // a string body: text/plain
  return true;
};
