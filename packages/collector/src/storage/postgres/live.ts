import type pg from 'pg';
import type { EmbedToken, LiveInteraction, LiveStore, NewEmbedToken } from '../types.js';

interface TokenRow {
  id: string;
  organization_id: string;
  name: string;
  token_prefix: string;
  widgets: string[];
  allowed_origins: string[];
  expires_at: Date;
  revoked_at: Date | null;
  created_by: string | null;
  created_at: Date;
}

const COLUMNS = `id, organization_id, name, token_prefix, widgets, allowed_origins, expires_at, revoked_at,
  created_by, created_at`;

function toToken(r: TokenRow): EmbedToken {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    tokenPrefix: r.token_prefix,
    widgets: r.widgets,
    allowedOrigins: r.allowed_origins,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

export class PostgresLive implements LiveStore {
  constructor(private readonly pool: pg.Pool) {}

  async createEmbedToken(t: NewEmbedToken): Promise<EmbedToken> {
    const { rows } = await this.pool.query<TokenRow>(
      `INSERT INTO embed_tokens (organization_id, name, token_hash, token_prefix, widgets, allowed_origins,
         expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [
        t.organizationId,
        t.name,
        t.tokenHash,
        t.tokenPrefix,
        t.widgets,
        t.allowedOrigins,
        t.expiresAt,
        t.createdBy,
      ],
    );
    return toToken(rows[0]!);
  }

  async listEmbedTokens(organizationId: string): Promise<EmbedToken[]> {
    const { rows } = await this.pool.query<TokenRow>(
      `SELECT ${COLUMNS} FROM embed_tokens WHERE organization_id = $1 ORDER BY created_at DESC, id`,
      [organizationId],
    );
    return rows.map(toToken);
  }

  async revokeEmbedToken(organizationId: string, id: string): Promise<EmbedToken | null> {
    const { rows } = await this.pool.query<TokenRow>(
      `UPDATE embed_tokens SET revoked_at = COALESCE(revoked_at, now())
       WHERE organization_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [organizationId, id],
    );
    return rows[0] ? toToken(rows[0]) : null;
  }

  async findEmbedToken(tokenHash: string): Promise<EmbedToken | null> {
    const { rows } = await this.pool.query<TokenRow>(
      `SELECT ${COLUMNS} FROM embed_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? toToken(rows[0]) : null;
  }

  async validEmbedTokens(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM embed_tokens WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL AND expires_at > now()`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  async interactions(organizationId: string, ids: string[], maxContent: number): Promise<LiveInteraction[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{
      id: string;
      customer_id: string;
      external_id: string;
      segment: string | null;
      timestamp: Date;
      channel: string;
      event_type: string;
      content: string | null;
      sentiment_score: number | null;
      label: LiveInteraction['sentimentLabel'];
    }>(
      `SELECT i.id, i.customer_id, c.external_id, c.segment, i.timestamp, i.channel, i.event_type,
              left(i.content, $3) AS content, i.sentiment_score, i.sentiment->>'label' AS label
       FROM customer_interactions i JOIN customers c ON c.id = i.customer_id
       WHERE i.organization_id = $1 AND i.id = ANY($2::uuid[])`,
      [organizationId, ids, maxContent],
    );
    return rows.map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      externalId: r.external_id,
      segment: r.segment,
      timestamp: r.timestamp,
      channel: r.channel,
      eventType: r.event_type,
      content: r.content,
      sentimentScore: r.sentiment_score,
      sentimentLabel: r.label,
    }));
  }
}
