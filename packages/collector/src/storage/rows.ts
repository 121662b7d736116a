import type { JsonObject } from '@heed/protocol';
import type { Customer, ImportJobPatch, Interaction, User } from './types.js';

/** Row shape shared by both dialects' drizzle schemas (dates as Date, JSON as objects). */
interface CustomerRow extends Omit<Customer, 'traits'> {
  traits: Record<string, unknown>;
}
interface InteractionRow extends Omit<Interaction, 'metadata' | 'sentiment' | 'channel'> {
  channel: string;
  metadata: Record<string, unknown>;
  sentiment: Record<string, unknown> | null;
}

export function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    organizationId: row.organizationId,
    externalId: row.externalId,
    segment: row.segment,
    traits: row.traits as JsonObject,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: row.lastSeenAt,
    interactionCount: row.interactionCount,
    averageSentiment: row.averageSentiment,
  };
}

export function toInteraction(row: InteractionRow): Interaction {
  return {
    id: row.id,
    organizationId: row.organizationId,
    customerId: row.customerId,
    messageId: row.messageId,
    timestamp: row.timestamp,
    receivedAt: row.receivedAt,
    channel: row.channel as Interaction['channel'],
    eventType: row.eventType,
    content: row.content,
    sentiment: row.sentiment as Interaction['sentiment'],
    sentimentConfidence: row.sentimentConfidence,
    metadata: row.metadata as JsonObject,
    processedAt: row.processedAt,
  };
}

/** A users row of either dialect (the password hash is never part of a User). */
export function toUser(row: User & { passwordHash?: string }): User {
  return {
    id: row.id,
    organizationId: row.organizationId,
    email: row.email,
    name: row.name,
    role: row.role,
    isActive: row.isActive,
    lastLoginAt: row.lastLoginAt,
    createdAt: row.createdAt,
    tokensValidAfter: row.tokensValidAfter,
  };
}

const jsonText = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * The columns an import-job patch sets, with their values bound as both dialects store them (JSON
 * as text, dates by `date`); fields left undefined are left out. The column names never come from
 * the caller.
 */
export function importJobAssignments(
  patch: ImportJobPatch,
  date: (d: Date | null) => unknown,
): [column: string, value: unknown][] {
  const out: [string, unknown][] = [];
  const set = (column: string, value: unknown) => out.push([column, value]);
  if (patch.status !== undefined) set('status', patch.status);
  if (patch.progress !== undefined) set('progress', jsonText(patch.progress));
  if (patch.profile !== undefined) set('profile', jsonText(patch.profile));
  if (patch.summary !== undefined) set('summary', jsonText(patch.summary));
  if (patch.error !== undefined) set('error', patch.error);
  if (patch.finishedAt !== undefined) set('finished_at', date(patch.finishedAt));
  return out;
}
