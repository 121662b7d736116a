import type { HeedEvent } from '@heed/protocol';

/** The request body; `writeKey` goes in it for keepalive sends, which cannot carry headers. */
export const batchBody = (batch: HeedEvent[], writeKey?: string): string =>
  JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey });
