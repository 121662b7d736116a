import { createApp } from '../src/app.js';
import { generateApiKey } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { Hub } from '../src/realtime/hub.js';
import type { Storage } from '../src/storage/types.js';

/** An in-process app over the given storage, with one organization and its write key. */
export async function appWithOrg(storage: Storage, name = 'Acme') {
  const organizationId = await storage.createOrganization(name, `${name.toLowerCase()}-${Math.random()}`);
  const key = generateApiKey('write');
  await storage.createApiKey({
    organizationId,
    kind: 'write',
    name: 'w',
    keyHash: key.hash,
    keyPrefix: key.prefix,
  });
  const hub = new Hub();
  const app = createApp({ storage, logger: createLogger('silent'), hub });
  return { app, hub, organizationId, writeKey: key.key };
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
