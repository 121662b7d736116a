import type { JsonObject } from '@heed/protocol';
import type { Customer, Interaction, User } from './types.js';

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
