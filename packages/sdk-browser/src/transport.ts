import type { Compress, SendBeacon } from '@heed/sdk-core';

/** Gzip with CompressionStream, where the browser has it (Response turns text into a byte stream and back). */
export const gzip: Compress = async (body) =>
  self.CompressionStream &&
  new Response(new Response(body).body!.pipeThrough(new CompressionStream('gzip'))).arrayBuffer();

/**
 * Sends while the page goes away: sendBeacon, or fetch keepalive when the beacon is refused.
 * A string body is sent as text/plain, a simple CORS request (no preflight); the write key is in
 * the body.
 */
export const beacon: SendBeacon = (url, body) => {
  try {
    if (navigator.sendBeacon(url, body)) return;
  } catch {
    // fall through to fetch
  }
  fetch(url, { method: 'POST', body, keepalive: true }).catch(() => {});
};
