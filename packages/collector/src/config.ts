import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .refine((v) => /^(postgres(ql)?:\/\/|file:|sqlite:)/.test(v) || !v.includes('://'), {
      message: 'must be a postgres:// URL or a SQLite file path',
    })
    .optional(),
  HEED_DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (a 256-bit key)')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  CORS_ORIGINS: z.string().optional(),
  TRUST_PROXY: bool.default(false),
  NODE_ENV: z.string().optional(),
});

export interface Config {
  port: number;
  host: string;
  /** postgres://… or undefined for the embedded SQLite database. */
  databaseUrl: string | undefined;
  dataDir: string;
  sqlitePath: string;
  logLevel: (typeof LOG_LEVELS)[number];
  jwtSecret: string;
  encryptionKey: string;
  redisUrl: string | undefined;
  corsOrigins: string[];
  trustProxy: boolean;
  /** Secrets generated for local development (never in production). */
  generatedSecrets: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration from the environment, once, at start-up. Every bad variable
 * is reported with its name. Without JWT_SECRET / ENCRYPTION_KEY a development secret is generated and
 * persisted under the data directory (refused when NODE_ENV=production).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = resolve(e.HEED_DATA_DIR);
  const isPostgres = e.DATABASE_URL !== undefined && /^postgres(ql)?:\/\//.test(e.DATABASE_URL);
  const sqlitePath =
    e.DATABASE_URL && !isPostgres
      ? e.DATABASE_URL.replace(/^(sqlite|file):(\/\/)?/, '')
      : join(dataDir, 'heed.db');

  let jwtSecret = e.JWT_SECRET;
  let encryptionKey = e.ENCRYPTION_KEY;
  let generatedSecrets = false;
  if (!jwtSecret || !encryptionKey) {
    if (e.NODE_ENV === 'production') {
      const missing = [!jwtSecret && 'JWT_SECRET', !encryptionKey && 'ENCRYPTION_KEY'].filter(Boolean);
      throw new ConfigError(missing.map((m) => `${m}: is required when NODE_ENV=production`));
    }
    const dev = devSecrets(dataDir);
    jwtSecret ??= dev.jwtSecret;
    encryptionKey ??= dev.encryptionKey;
    generatedSecrets = true;
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: isPostgres ? e.DATABASE_URL : undefined,
    dataDir,
    sqlitePath,
    logLevel: e.LOG_LEVEL,
    jwtSecret,
    encryptionKey,
    redisUrl: e.REDIS_URL,
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy: e.TRUST_PROXY,
    generatedSecrets,
  };
}

function devSecrets(dataDir: string): { jwtSecret: string; encryptionKey: string } {
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  mkdirSync(dataDir, { recursive: true });
  const secrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    encryptionKey: randomBytes(32).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}
