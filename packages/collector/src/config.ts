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
  ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .regex(/^[0-9a-fA-F]{64}(,[0-9a-fA-F]{64})*$/, 'must be comma-separated 64-hex-character keys')
    .optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('heed:'),
  RATE_LIMIT_IP_PER_MIN: z.coerce.number().int().min(0).default(1000),
  RATE_LIMIT_USER_PER_MIN: z.coerce.number().int().min(0).default(100),
  RATE_LIMIT_AUTH_PER_MIN: z.coerce.number().int().min(0).default(5),
  RATE_LIMIT_LOGIN_FAILURES: z.coerce.number().int().min(0).default(5),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).optional(),
  DATABASE_CA_FILE: z.string().min(1).optional(),
  NODE_ENV: z.string().optional(),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  ANALYSIS: z.enum(['on', 'off']).default('on'),
  STREAM_HEARTBEAT_SECONDS: z.coerce.number().min(0.05).max(300).default(15),
  ML_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  ML_MODEL_DIR: z.string().min(1).optional(),
  ANOMALY_INTERVAL_SECONDS: z.coerce.number().int().min(10).default(300),
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  ALERT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ALERT_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(60),
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
  /** Older ENCRYPTION_KEYs, still used to decrypt values written before a rotation. */
  previousEncryptionKeys: string[];
  /** Prefix of every Redis key (rate limits, pub/sub channels). */
  redisKeyPrefix: string;
  rateLimits: RateLimits;
  /** Live stream: a heartbeat comment every this many ms (STREAM_HEARTBEAT_SECONDS, default 15). */
  streamHeartbeatMs: number;
  /** Serve HTTPS with these PEM files. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** TLS to PostgreSQL: `require` encrypts, `verify-full` also checks the certificate (DATABASE_CA_FILE). */
  databaseTls: { mode: 'require' | 'verify-full'; caFile: string | undefined } | undefined;
  /**
   * SQLite durability: NORMAL (WAL) survives a crash of the process; FULL also an OS crash or power
   * loss, at the cost of an fsync per transaction.
   */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  analysis: {
    /** Run the analysis dispatcher and anomaly detection in this process (`heed start`). */
    enabled: boolean;
    threads: number | undefined;
    modelDir: string | undefined;
    anomalyIntervalMs: number;
    webhook: { url: string; secret: string } | undefined;
  };
  /** Bearer token for /metrics; without it /metrics answers loopback clients only. */
  metricsToken: string | undefined;
  /** `heed worker` serves /metrics on this port (127.0.0.1, or HOST); off when unset. */
  metricsPort: number | undefined;
  /** How often the in-process alert rules are evaluated (ms); alerts go to the alert webhook. */
  alertIntervalMs: number;
}

/** Requests allowed per window; 0 disables a limit (e.g. for load tests). */
export interface RateLimits {
  /** Every request, per client IP, per minute. */
  ipPerMinute: number;
  /** Authenticated API requests, per user, per minute. */
  userPerMinute: number;
  /** Login and token refresh, per client IP, per minute. */
  authPerMinute: number;
  /** Failed logins per client IP per 15 minutes before login is refused. */
  loginFailuresPer15Min: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  ipPerMinute: 1000,
  userPerMinute: 100,
  authPerMinute: 5,
  loginFailuresPer15Min: 5,
};

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
  checkSecuritySettings(e);
  if (e.ALERT_WEBHOOK_URL && !e.ALERT_WEBHOOK_SECRET) {
    throw new ConfigError([
      'ALERT_WEBHOOK_SECRET: is required with ALERT_WEBHOOK_URL (alerts are HMAC-signed)',
    ]);
  }
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
    previousEncryptionKeys: e.ENCRYPTION_KEY_PREVIOUS?.split(',') ?? [],
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    streamHeartbeatMs: Math.round(e.STREAM_HEARTBEAT_SECONDS * 1000),
    rateLimits: {
      ipPerMinute: e.RATE_LIMIT_IP_PER_MIN,
      userPerMinute: e.RATE_LIMIT_USER_PER_MIN,
      authPerMinute: e.RATE_LIMIT_AUTH_PER_MIN,
      loginFailuresPer15Min: e.RATE_LIMIT_LOGIN_FAILURES,
    },
    tls:
      e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    databaseTls:
      e.DATABASE_SSL && e.DATABASE_SSL !== 'disable'
        ? { mode: e.DATABASE_SSL, caFile: e.DATABASE_CA_FILE }
        : undefined,
    analysis: {
      enabled: e.ANALYSIS === 'on',
      threads: e.ML_THREADS,
      modelDir: e.ML_MODEL_DIR ? resolve(e.ML_MODEL_DIR) : undefined,
      anomalyIntervalMs: e.ANOMALY_INTERVAL_SECONDS * 1000,
      webhook: e.ALERT_WEBHOOK_URL
        ? { url: e.ALERT_WEBHOOK_URL, secret: e.ALERT_WEBHOOK_SECRET ?? '' }
        : undefined,
    },
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    alertIntervalMs: e.ALERT_INTERVAL_SECONDS * 1000,
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

/** Cross-variable checks of the TLS and CORS settings. */
function checkSecuritySettings(e: z.infer<typeof schema>): void {
  const problems: string[] = [];
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) {
    problems.push('TLS_CERT_FILE, TLS_KEY_FILE: set both to serve HTTPS, or neither');
  }
  for (const [name, file] of [
    ['TLS_CERT_FILE', e.TLS_CERT_FILE],
    ['TLS_KEY_FILE', e.TLS_KEY_FILE],
    ['DATABASE_CA_FILE', e.DATABASE_CA_FILE],
  ] as const) {
    if (file && !existsSync(file)) problems.push(`${name}: ${file} does not exist`);
  }
  if (e.DATABASE_SSL === 'verify-full' && !e.DATABASE_CA_FILE) {
    problems.push('DATABASE_CA_FILE: is required with DATABASE_SSL=verify-full');
  }
  if ((e.CORS_ORIGINS ?? '').split(',').some((o) => o.trim() === '*')) {
    problems.push('CORS_ORIGINS: list the origins; * is refused because the API accepts credentials');
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
