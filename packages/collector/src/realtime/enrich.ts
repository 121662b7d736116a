import type { Storage } from '../storage/types.js';
import type { SequencedEvent } from './hub.js';

/** Longest content excerpt carried by the live feed. */
export const LIVE_CONTENT_CHARS = 500;

/**
 * Adds what the live feed displays to `interaction.created` events: the published event carries ids
 * only (it crossed instances as a small NOTIFY payload), so the receiving instance reads the rows,
 * once per batch, for everyone listening.
 */
export function enrichFromStorage(storage: Storage) {
  return async function enrich(organizationId: string, events: SequencedEvent[]): Promise<SequencedEvent[]> {
    const ids: string[] = [];
    for (const e of events) {
      const id = (e.data as { id?: unknown } | null)?.id;
      if (e.type === 'interaction.created' && typeof id === 'string') ids.push(id);
    }
    if (ids.length === 0) return events;
    const rows = await storage.live.interactions(organizationId, ids, LIVE_CONTENT_CHARS);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return events.map((e) => {
      const row = e.type === 'interaction.created' ? byId.get((e.data as { id: string }).id) : undefined;
      if (!row) return e;
      return {
        ...e,
        data: {
          ...(e.data as object),
          customerId: row.customerId,
          externalId: row.externalId,
          segment: row.segment,
          timestamp: row.timestamp.toISOString(),
          content: row.content,
          sentimentScore: row.sentimentScore,
          sentimentLabel: row.sentimentLabel,
        },
      };
    });
  };
}
