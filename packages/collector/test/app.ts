import { createAnalysis } from '../src/analysis/index.js';
import { createApp } from '../src/app.js';
import { secretKey, signAccessToken } from '../src/auth/tokens.js';
import { memoryCache } from '../src/cache/kv.js';
import { createLogger } from '../src/logger.js';
import { Hub } from '../src/realtime/hub.js';
import type { Role, Storage } from '../src/storage/types.js';
import { createOrgWithWriteKey } from '../src/testing.js';

export const TEST_CONFIG = {
  jwtSecret: 'test-secret-test-secret-test-secret-0000',
  encryptionKey: '0'.repeat(64),
  corsOrigins: [],
  trustProxy: false,
};

/** An in-process app over the given storage, with one organization and its write key. */
export async function appWithOrg(storage: Storage, name = 'Acme') {
  const { organizationId, writeKey } = await createOrgWithWriteKey(storage, name);
  const hub = new Hub();
  const app = createApp({ storage, logger: createLogger('silent'), hub, config: TEST_CONFIG });
  return { app, hub, organizationId, writeKey };
}

/** Creates a user of the organization and returns it with a valid access token. */
export async function userWithToken(storage: Storage, organizationId: string, role: Role = 'admin') {
  const user = await storage.users.create({
    organizationId,
    email: `${role}-${Math.random().toString(36).slice(2)}@example.com`,
    passwordHash: 'not-a-real-hash',
    role,
  });
  const token = await signAccessToken(secretKey(TEST_CONFIG.jwtSecret), {
    userId: user.id,
    organizationId,
    role,
  });
  return { user, token, headers: { authorization: `Bearer ${token}` } };
}

let n = 0;
/** A valid native event; override any field. */
export function event(over: Record<string, unknown> = {}) {
  n++;
  return {
    type: 'track',
    messageId: `msg-${Date.now()}-${n}`,
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    userId: 'user-1',
    event: 'Support Email',
    properties: { content: 'The export keeps failing, please help', plan: 'pro' },
    context: {
      channel: 'email',
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    },
    ...over,
  };
}

/**
 * An app with real analysis services (one-thread sentiment pool, in-memory cache) over the storage;
 * close `analysis` after the test.
 */
export function appWithAnalysis(storage: Storage) {
  const hub = new Hub();
  const logger = createLogger('silent');
  const analysis = createAnalysis({
    storage,
    hub,
    logger,
    cache: memoryCache(),
    config: { enabled: true, threads: 1, modelDir: undefined, anomalyIntervalMs: 60_000, webhook: undefined },
  });
  const app = createApp({ storage, logger, hub, config: TEST_CONFIG, analysis });
  return { app, analysis, hub };
}
