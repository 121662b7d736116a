import type { FieldError } from '@heed/protocol';

/** The closed list of error codes the API answers with. */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HeedErrorOptions {
  details?: FieldError[];
  cause?: unknown;
  /** Seconds, sent as Retry-After (429, 503). */
  retryAfter?: number;
  /** Extra fields merged into the JSON body (e.g. batch counters). */
  extra?: Record<string, unknown>;
}

/** The one error class of the collector: carries the HTTP status, a code from ERROR_CODES and the cause. */
export class HeedError extends Error {
  readonly status: (typeof ERROR_CODES)[ErrorCode];
  readonly code: ErrorCode;
  readonly details: FieldError[] | undefined;
  readonly retryAfter: number | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: HeedErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HeedError';
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
    this.extra = opts.extra;
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300', // too_many_connections
  '57014', // query_canceled (statement timeout)
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'The database connection is not open',
  'Query read timeout',
];

/** True when an error means the database cannot be reached right now (answer 503, not 500). */
export function isUnavailableError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR')))
      return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
  }
  return false;
}
