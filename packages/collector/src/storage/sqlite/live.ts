import type Database from 'better-sqlite3';
import type { EmbedToken, LiveInteraction, LiveStore, NewEmbedToken } from '../types.js';

interface TokenRow {
  id: string;
  organization_id: string;
  name: string;
  token_prefix: string;
  widgets: string;
  allowed_origins: string;
  expires_at: number;
  revoked_at: number | null;
  created_by: string | null;
  created_at: number;
}

const COLUMNS = `id, organization_id, name, token_prefix, widgets, allowed_origins, expires_at, revoked_at,
  created_by, created_at`;

function toToken(r: TokenRow): EmbedToken {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    tokenPrefix: r.token_prefix,
    widgets: JSON.parse(r.widgets) as string[],
    allowedOrigins: JSON.parse(r.allowed_origins) as string[],
    expiresAt: new Date(r.expires_at),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
  };
}

export class SqliteLive implements LiveStore {
  constructor(private readonly sqlite: Database.Database) {}

  async createEmbedToken(t: NewEmbedToken): Promise<EmbedToken> {
    const row = this.sqlite
      .prepare(
        `INSERT INTO embed_tokens (organization_id, name, token_hash, token_prefix, widgets, allowed_origins,
           expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(
        t.organizationId,
        t.name,
        t.tokenHash,
        t.tokenPrefix,
        JSON.stringify(t.widgets),
        JSON.stringify(t.allowedOrigins),
        t.expiresAt.getTime(),
        t.createdBy,
      ) as TokenRow;
    return toToken(row);
  }

  async listEmbedTokens(organizationId: string): Promise<EmbedToken[]> {
    const rows = this.sqlite
      .prepare(`SELECT ${COLUMNS} FROM embed_tokens WHERE organization_id = ? ORDER BY created_at DESC, id`)
      .all(organizationId) as TokenRow[];
    return rows.map(toToken);
  }

  async revokeEmbedToken(organizationId: string, id: string): Promise<EmbedToken | null> {
    this.sqlite
      .prepare(
        'UPDATE embed_tokens SET revoked_at = ? WHERE organization_id = ? AND id = ? AND revoked_at IS NULL',
      )
      .run(Date.now(), organizationId, id);
    const row = this.sqlite
      .prepare(`SELECT ${COLUMNS} FROM embed_tokens WHERE organization_id = ? AND id = ?`)
      .get(organizationId, id) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  async findEmbedToken(tokenHash: string): Promise<EmbedToken | null> {
    const row = this.sqlite
      .prepare(`SELECT ${COLUMNS} FROM embed_tokens WHERE token_hash = ?`)
      .get(tokenHash) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  async validEmbedTokens(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.sqlite
      .prepare(
        `SELECT id FROM embed_tokens WHERE id IN (SELECT value FROM json_each(?))
           AND revoked_at IS NULL AND expires_at > ?`,
      )
      .pluck()
      .all(JSON.stringify(ids), Date.now()) as string[];
  }

  async interactions(organizationId: string, ids: string[], maxContent: number): Promise<LiveInteraction[]> {
    if (ids.length === 0) return [];
    const rows = this.sqlite
      .prepare(
        `SELECT i.id, i.customer_id, c.external_id, c.segment, i.timestamp, i.channel, i.event_type,
                substr(i.content, 1, ?) AS content, i.sentiment_score,
                json_extract(i.sentiment, '$.label') AS label
         FROM customer_interactions i JOIN customers c ON c.id = i.customer_id
         WHERE i.organization_id = ? AND i.id IN (SELECT value FROM json_each(?))`,
      )
      .all(maxContent, organizationId, JSON.stringify(ids)) as Array<{
      id: string;
      customer_id: string;
      external_id: string;
      segment: string | null;
      timestamp: number;
      channel: string;
      event_type: string;
      content: string | null;
      sentiment_score: number | null;
      label: LiveInteraction['sentimentLabel'];
    }>;
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      externalId: r.external_id,
      segment: r.segment,
      timestamp: new Date(r.timestamp),
      channel: r.channel,
      eventType: r.event_type,
      content: r.content,
      sentimentScore: r.sentiment_score,
      sentimentLabel: r.label,
    }));
  }
}
