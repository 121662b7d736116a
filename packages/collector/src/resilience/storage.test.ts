import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { HeedError } from '../errors.js';
import type { Storage } from '../storage/types.js';
import { CircuitBreaker } from './breaker.js';
import { databaseFailure, guardStorage } from './storage.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('guardStorage', () => {
  it('refuses calls at once (503, Retry-After) once the database breaker is open, for sub-stores too', async () => {
    let calls = 0;
    const fake = {
      dialect: 'postgres',
      ping: async () => {
        calls++;
        throw refused();
      },
      analysis: {
        backlog: async () => {
          calls++;
          return 3;
        },
      },
    } as unknown as Storage;
    const breaker = new CircuitBreaker({ name: 'database', failureThreshold: 3, isFailure: databaseFailure });
    const storage = guardStorage(fake, { breaker, logger: capture().logger });
    for (let i = 0; i < 3; i++) await expect(storage.ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(calls).toBe(3);
    const err = await storage.analysis.backlog().catch((e) => e);
    expect(err).toBeInstanceOf(HeedError);
    expect(err).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    expect(calls).toBe(3); // the database was not even tried
    expect(storage.dialect).toBe('postgres');
  });

  it('logs calls slower than the threshold with their operation, and times every call', async () => {
    const { logger, lines } = capture();
    const timed: string[] = [];
    const fake = {
      ingest: () => new Promise((r) => setTimeout(() => r({ inserted: [], duplicates: [] }), 40)),
      countInteractions: async () => 1,
    } as unknown as Storage;
    const storage = guardStorage(fake, {
      breaker: new CircuitBreaker({ name: 'database' }),
      logger,
      slowMs: 25,
      onQuery: (op) => timed.push(op),
    });
    await storage.ingest('org', []);
    await storage.countInteractions('org');
    expect(timed).toEqual(['ingest', 'countInteractions']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'slow query', operation: 'ingest' });
    expect(lines[0]!.ms).toBeGreaterThanOrEqual(25);
  });
});
