import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForChild } from './build.js';
import { fakeCollector } from './fake-collector.js';

// An app that tracks five events and then either ends by itself or waits for SIGTERM.
const APP = `
import { createHeed } from './index.js';
const heed = createHeed({ writeKey: 'wk', host: process.env.HOST, flushInterval: 60000, flushAt: 100 });
if (process.env.OWN_HANDLER) process.on('SIGTERM', () => { console.log('app handler ran'); setTimeout(() => process.exit(3), 400); });
for (let i = 0; i < 5; i++) heed.track({ userId: 'u', event: 'E' + i });
if (process.env.WAIT) { setInterval(() => {}, 1000); setTimeout(() => console.log('ready'), 50); }
`;

let child: string;
let fake: Awaited<ReturnType<typeof fakeCollector>>;
beforeAll(async () => {
  child = await buildForChild(APP);
  fake = await fakeCollector();
});
afterAll(() => fake.close());

function run(env: Record<string, string>): { proc: ChildProcess; out: () => string } {
  const proc = spawn(process.execPath, [child], { env: { ...process.env, HOST: fake.url, ...env } });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  return { proc, out: () => out };
}

async function ready(out: () => string) {
  while (!out().includes('ready')) await new Promise((r) => setTimeout(r, 20));
}

describe('process exit', () => {
  it('an app that just ends still delivers its events (beforeExit)', async () => {
    fake.stored.clear();
    const { proc } = run({});
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
    expect(fake.stored.size).toBe(5);
  });

  it('SIGTERM flushes, then ends the process by the signal when the app has no handler', async () => {
    fake.stored.clear();
    const { proc, out } = run({ WAIT: '1' });
    await ready(out);
    proc.kill('SIGTERM');
    const [code, signal] = await once(proc, 'exit');
    expect([code, signal]).toEqual([null, 'SIGTERM']);
    expect(fake.stored.size).toBe(5);
  });

  it("SIGTERM flushes and leaves the exit to the app's own handler", async () => {
    fake.stored.clear();
    const { proc, out } = run({ WAIT: '1', OWN_HANDLER: '1' });
    await ready(out);
    proc.kill('SIGTERM');
    const [code] = await once(proc, 'exit');
    expect(code).toBe(3);
    expect(out()).toContain('app handler ran');
    expect(fake.stored.size).toBe(5);
  });
});
