import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs; credentials never reach them. */
export function createLogger(level: string = 'info'): Logger {
  return pino({
    level,
    base: { service: 'heed-collector' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.passwordHash',
        '*.writeKey',
        '*.token',
        '*.refreshToken',
        '*.accessToken',
        '*.currentPassword',
        '*.newPassword',
        '*.temporaryPassword',
        '*.key',
        '*.keyHash',
        '*.tokenHash',
        '*.apiKey',
        '*.api_key',
      ],
      censor: '[redacted]',
    },
  });
}
