import type { HeedEvent } from '@heed/protocol';

/** The request body; browsers put their `writeKey` in it (see `bodyKey` in core.ts). */
export const batchBody = (batch: HeedEvent[], writeKey?: string): string =>
  JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey });
