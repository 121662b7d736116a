import { createHash } from 'node:crypto';
import type { JsonObject } from '@heed/protocol';
import type { InteractionInput } from './types.js';

/** Keeps the first row of each messageId; the later ones are reported as duplicates. */
export function dedupeByMessageId(rows: InteractionInput[]): {
  unique: InteractionInput[];
  repeated: string[];
} {
  const seen = new Set<string>();
  const unique: InteractionInput[] = [];
  const repeated: string[] = [];
  for (const row of rows) {
    if (seen.has(row.messageId)) repeated.push(row.messageId);
    else {
      seen.add(row.messageId);
      unique.push(row);
    }
  }
  return { unique, repeated };
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface CustomerSeed {
  externalId: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** One seed per customer of the chunk, sorted by external id so concurrent writers lock in one order. */
export function customerSeeds(rows: InteractionInput[]): CustomerSeed[] {
  const byId = new Map<string, CustomerSeed>();
  for (const r of rows) {
    const s = byId.get(r.externalId);
    if (!s)
      byId.set(r.externalId, { externalId: r.externalId, firstSeenAt: r.timestamp, lastSeenAt: r.timestamp });
    else {
      if (r.timestamp < s.firstSeenAt) s.firstSeenAt = r.timestamp;
      if (r.timestamp > s.lastSeenAt) s.lastSeenAt = r.timestamp;
    }
  }
  return [...byId.values()].sort((a, b) =>
    a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0,
  );
}

export interface CustomerDelta {
  customerId: string;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** Latest segment named by the stored events, or null to keep the current one. */
  segment: string | null;
  /** Traits to merge (later events win), or null. */
  traits: JsonObject | null;
}

/** What the stored (not duplicate) rows change on each customer, sorted by customer id. */
export function customerDeltas(
  stored: Array<{ customerId: string; row: InteractionInput }>,
): CustomerDelta[] {
  const byId = new Map<string, CustomerDelta>();
  const ordered = [...stored].sort((a, b) => a.row.timestamp.getTime() - b.row.timestamp.getTime());
  for (const { customerId, row } of ordered) {
    let d = byId.get(customerId);
    if (!d) {
      d = {
        customerId,
        count: 0,
        firstSeenAt: row.timestamp,
        lastSeenAt: row.timestamp,
        segment: null,
        traits: null,
      };
      byId.set(customerId, d);
    }
    d.count++;
    if (row.timestamp < d.firstSeenAt) d.firstSeenAt = row.timestamp;
    if (row.timestamp > d.lastSeenAt) d.lastSeenAt = row.timestamp;
    if (row.segment !== null) d.segment = row.segment;
    if (row.traits !== null) d.traits = { ...(d.traits ?? {}), ...row.traits };
  }
  return [...byId.values()].sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
}

/**
 * The id of an organization's customer, derived from its external id (a UUID of version 8, from
 * SHA-256), so that ingest can name a customer before it exists.
 */
export function customerIdFor(organizationId: string, externalId: string): string {
  const h = createHash('sha256').update(organizationId).update('\0').update(externalId).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
