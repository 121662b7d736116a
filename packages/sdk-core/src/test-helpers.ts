import type { HeedEvent } from '@heed/protocol';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { buildEvent } from './builder.js';
import { type Core, createCore } from './core.js';
import type { CoreEvents } from './events.js';
import type { CoreSettings } from './settings.js';
import { shutdown } from './shutdown.js';

export const HOST = 'http://collector.test';

/** Every request the fake collector received, in order. */
export interface Received {
  batch: HeedEvent[];
  /** The write key the body carried. */
  writeKey: unknown;
  headers: Headers;
}

/** Starts msw for the test file; `reply` decides each answer (default: 200, all accepted). */
export function fakeCollector() {
  const state = {
    received: [] as Received[],
    reply: (_body: { batch: HeedEvent[] }, _n: number): Response | Promise<Response> =>
      HttpResponse.json({ success: true, accepted: _body.batch.length, duplicates: 0, rejected: 0 }),
  };
  const server = setupServer(
    http.post(`${HOST}/v1/batch`, async ({ request }) => {
      const body = (await request.json()) as { batch: HeedEvent[]; writeKey?: unknown };
      state.received.push({ batch: body.batch, writeKey: body.writeKey, headers: request.headers });
      return state.reply(body, state.received.length);
    }),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(async () => {
    for (const core of cores.splice(0)) await shutdown(core, 0); // stop leftover timers
    state.received.length = 0;
    state.reply = (body) =>
      HttpResponse.json({ success: true, accepted: body.batch.length, duplicates: 0, rejected: 0 });
  });
  afterAll(() => server.close());
  return state;
}

const cores: Core[] = [];

/** A Core with every event it emits recorded. */
export function recordedCore(settings: Partial<CoreSettings> = {}) {
  const core = createCore({ writeKey: 'wk_test', host: HOST, flushInterval: 50, ...settings });
  cores.push(core);
  const log = {
    delivered: [] as CoreEvents['delivered'][],
    dropped: [] as CoreEvents['dropped'][],
    error: [] as CoreEvents['error'][],
  };
  core.on('delivered', (p) => log.delivered.push(p));
  core.on('dropped', (p) => log.dropped.push(p));
  core.on('error', (p) => log.error.push(p));
  return { core, log };
}

export function track(n: number, props: Record<string, string> = {}): HeedEvent {
  return buildEvent(
    'track',
    { userId: `u${n}`, event: `Event ${n}`, properties: props },
    { name: 'test', version: '0' },
  );
}
