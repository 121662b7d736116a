import { sql } from 'drizzle-orm';
import { integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const ts = (name: string) => integer(name, { mode: 'timestamp_ms' });
const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>();
const NOW = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
const audit = {
  createdAt: ts('created_at').notNull().default(NOW),
  updatedAt: ts('updated_at').notNull().default(NOW),
};

export const organizations = sqliteTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull(),
  settings: json<Record<string, unknown>>('settings').notNull(),
  ...audit,
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id').notNull(),
  email: text('email').notNull(),
  name: text('name'),
  passwordHash: text('password_hash').notNull(),
  role: text('role').$type<'admin' | 'analyst' | 'viewer'>().notNull(),
  isActive: integer('is_active', { mode: 'boolean' }).notNull(),
  lastLoginAt: ts('last_login_at'),
  passwordChangedAt: ts('password_changed_at'),
  tokensValidAfter: ts('tokens_valid_after'),
  ...audit,
});

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id').notNull(),
  kind: text('kind').$type<'write' | 'secret'>().notNull(),
  name: text('name').notNull(),
  keyHash: text('key_hash').notNull(),
  keyPrefix: text('key_prefix').notNull(),
  allowedOrigins: json<string[] | null>('allowed_origins'),
  createdBy: text('created_by'),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
  ...audit,
});

export const customers = sqliteTable('customers', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id').notNull(),
  externalId: text('external_id').notNull(),
  segment: text('segment'),
  traits: json<Record<string, unknown>>('traits').notNull(),
  firstSeenAt: ts('first_seen_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  interactionCount: integer('interaction_count').notNull(),
  averageSentiment: real('average_sentiment'),
  sentimentCount: integer('sentiment_count').notNull(),
  ...audit,
});

export const interactions = sqliteTable('customer_interactions', {
  id: text('id').primaryKey(),
  organizationId: text('organization_id').notNull(),
  customerId: text('customer_id').notNull(),
  messageId: text('message_id').notNull(),
  timestamp: ts('timestamp').notNull(),
  receivedAt: ts('received_at').notNull(),
  channel: text('channel').notNull(),
  eventType: text('event_type').notNull(),
  content: text('content'),
  sentiment: json<Record<string, unknown> | null>('sentiment'),
  sentimentScore: real('sentiment_score'),
  sentimentConfidence: real('sentiment_confidence'),
  metadata: json<Record<string, unknown>>('metadata').notNull(),
  processedAt: ts('processed_at'),
  analysisAttempts: integer('analysis_attempts').notNull(),
  analysisError: text('analysis_error'),
  ...audit,
});
