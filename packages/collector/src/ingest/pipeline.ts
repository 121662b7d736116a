import type { FieldError } from '@heed/protocol';
import { parseBatchEnvelope, uuidv7, validateEvent } from '@heed/protocol';
import type { Hub } from '../realtime/hub.js';
import { encryptMetadata, type PiiCipher } from '../security/pii.js';
import type { InteractionInput, Storage } from '../storage/types.js';
import { buildMetadata, type RequestFacts, segmentOf } from './enrich.js';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  details: FieldError[];
  /** The interactions stored by this call (for the live stream and analysis). */
  stored: InteractionInput[];
}

/** `onStored` that publishes `interaction.created` for each stored row: the live stream's first event. */
export function publishCreated(hub: Hub): (organizationId: string, rows: InteractionInput[]) => void {
  return (organizationId, rows) => {
    for (const r of rows) {
      hub.publish(organizationId, {
        type: 'interaction.created',
        data: { id: r.id, messageId: r.messageId, channel: r.channel, eventType: r.eventType },
      });
    }
  };
}

export interface IngestDeps {
  storage: Storage;
  /** Encrypts customer PII (traits such as email and name) before it is stored. */
  pii: PiiCipher;
  /** Called after the rows are committed. */
  onStored?: (organizationId: string, rows: InteractionInput[]) => void;
  /** Counts every call's outcome (the app passes its Prometheus metrics). */
  metrics?: IngestMetrics;
}

export interface IngestMetrics {
  ingested(counts: { accepted: number; rejected: number; duplicates: number }): void;
}

/**
 * Validates each item on its own, enriches the valid ones and stores them exactly once.
 * Invalid items never block their valid neighbours.
 */
export async function ingestItems(
  deps: IngestDeps,
  organizationId: string,
  items: unknown[],
  ctx: { receivedAt: number; sentAt: number | undefined; request: RequestFacts },
): Promise<IngestResult> {
  const details: FieldError[] = [];
  const rows: InteractionInput[] = [];
  const receivedAt = new Date(ctx.receivedAt);
  items.forEach((item, index) => {
    const r = validateEvent(item, { receivedAt: ctx.receivedAt, sentAt: ctx.sentAt, index });
    if (!r.ok) {
      details.push(...r.errors);
      return;
    }
    const e = r.event;
    rows.push({
      id: uuidv7(),
      messageId: e.messageId,
      externalId: e.externalId,
      timestamp: new Date(e.timestamp),
      receivedAt,
      channel: e.channel,
      eventType: e.eventType,
      content: e.content,
      metadata: encryptMetadata(deps.pii, buildMetadata(e, ctx.request)),
      segment: segmentOf(e),
      traits:
        e.type === 'identify' && Object.keys(e.traits).length > 0 ? deps.pii.encryptTraits(e.traits) : null,
    });
  });
  const rejected = new Set(details.map((d) => d.index)).size;
  if (rows.length === 0) {
    deps.metrics?.ingested({ accepted: 0, duplicates: 0, rejected });
    return { accepted: 0, duplicates: 0, rejected, details, stored: [] };
  }
  const outcome = await deps.storage.ingest(organizationId, rows);
  const insertedIds = new Set(outcome.inserted);
  const stored = rows.filter((r) => insertedIds.delete(r.messageId)); // first copy of each stored id
  if (stored.length > 0) deps.onStored?.(organizationId, stored);
  deps.metrics?.ingested({
    accepted: outcome.inserted.length,
    duplicates: outcome.duplicates.length,
    rejected,
  });
  return {
    accepted: outcome.inserted.length,
    duplicates: outcome.duplicates.length,
    rejected,
    details,
    stored,
  };
}

export { parseBatchEnvelope };
