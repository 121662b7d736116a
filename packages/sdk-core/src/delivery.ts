import type { HeedEvent } from '@heed/protocol';

/** The request body; browsers put their `writeKey` in it (see `deliver` in core.ts). */
export const batchBody = (batch: HeedEvent[], writeKey?: string): string =>
  JSON.stringify({ batch, sentAt: new Date(), writeKey }); // a Date is written as its ISO text
