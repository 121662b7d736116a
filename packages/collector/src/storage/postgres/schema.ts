import {
  boolean,
  doublePrecision,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const audit = {
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
};

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull(),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
  ...audit,
});

export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  organizationId: uuid('organization_id').notNull(),
  email: text('email').notNull(),
  name: text('name'),
  passwordHash: text('password_hash').notNull(),
  role: text('role').$type<'admin' | 'analyst' | 'viewer'>().notNull(),
  isActive: boolean('is_active').notNull(),
  lastLoginAt: ts('last_login_at'),
  passwordChangedAt: ts('password_changed_at'),
  tokensValidAfter: ts('tokens_valid_after'),
  ...audit,
});

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey(),
  organizationId: uuid('organization_id').notNull(),
  kind: text('kind').$type<'write' | 'secret'>().notNull(),
  name: text('name').notNull(),
  keyHash: text('key_hash').notNull(),
  keyPrefix: text('key_prefix').notNull(),
  allowedOrigins: jsonb('allowed_origins').$type<string[] | null>(),
  createdBy: uuid('created_by'),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
  ...audit,
});

export const customers = pgTable('customers', {
  id: uuid('id').primaryKey(),
  organizationId: uuid('organization_id').notNull(),
  externalId: text('external_id').notNull(),
  segment: text('segment'),
  traits: jsonb('traits').$type<Record<string, unknown>>().notNull(),
  firstSeenAt: ts('first_seen_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  interactionCount: integer('interaction_count').notNull(),
  averageSentiment: doublePrecision('average_sentiment'),
  sentimentCount: integer('sentiment_count').notNull(),
  ...audit,
});

export const interactions = pgTable('customer_interactions', {
  id: uuid('id').primaryKey(),
  organizationId: uuid('organization_id').notNull(),
  customerId: uuid('customer_id').notNull(),
  messageId: text('message_id').notNull(),
  timestamp: ts('timestamp').notNull(),
  receivedAt: ts('received_at').notNull(),
  channel: text('channel').notNull(),
  eventType: text('event_type').notNull(),
  content: text('content'),
  sentiment: jsonb('sentiment').$type<Record<string, unknown> | null>(),
  sentimentScore: doublePrecision('sentiment_score'),
  sentimentConfidence: doublePrecision('sentiment_confidence'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull(),
  processedAt: ts('processed_at'),
  analysisAttempts: integer('analysis_attempts').notNull(),
  analysisError: text('analysis_error'),
  ...audit,
});
