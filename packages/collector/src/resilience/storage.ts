import { isUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/types.js';
import type { CircuitBreaker } from './breaker.js';

/** The sub-stores of the Storage seam whose methods are guarded like the top-level ones. */
const STORES = [
  'users',
  'insights',
  'customers',
  'tokens',
  'keys',
  'audit',
  'analysis',
  'signals',
  'live',
  'imports',
] as const;
/** Lifecycle calls that never go through the breaker. */
const UNGUARDED = new Set(['migrate', 'close']);
const GUARDED = Symbol('heed.guardedStorage');

export interface StorageGuardOptions {
  breaker: CircuitBreaker;
  logger: Logger;
  /** Calls slower than this are logged (ms). Default 1000. */
  slowMs?: number;
  /** Every call's duration, by operation (`ingest`, `analysis.claim`, ...). */
  onQuery?: (operation: string, seconds: number, ok: boolean) => void;
}

/**
 * Wraps the storage seam: every call goes through the database circuit breaker (503 at once while it
 * is open), is timed, and is logged when slower than `slowMs`. Only "database unavailable" errors
 * (isUnavailableError) count as breaker failures; a constraint violation is the caller's problem.
 */
export function guardStorage(storage: Storage, opts: StorageGuardOptions): Storage {
  if ((storage as unknown as Record<symbol, unknown>)[GUARDED]) return storage;
  const slowMs = opts.slowMs ?? 1000;
  const stores = new Map<string, object>();
  const wrap = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        if (prop === GUARDED) return true;
        const value = Reflect.get(t, prop, receiver);
        if (typeof prop !== 'string') return value;
        if (
          prefix === '' &&
          (STORES as readonly string[]).includes(prop) &&
          value &&
          typeof value === 'object'
        ) {
          let store = stores.get(prop);
          if (!store) {
            store = wrap(value as object, `${prop}.`);
            stores.set(prop, store);
          }
          return store;
        }
        if (typeof value !== 'function' || UNGUARDED.has(prop) || prop === 'constructor') return value;
        const operation = prefix + prop;
        return function guarded(...args: unknown[]) {
          let trial: boolean;
          try {
            trial = opts.breaker.admit();
          } catch (err) {
            return Promise.reject(err); // open: refused at once
          }
          const started = performance.now();
          const settle = (ok: boolean, err?: unknown) => {
            if (trial) opts.breaker.trialDone();
            if (ok || !opts.breaker.countsAsFailure(err)) opts.breaker.success();
            else opts.breaker.failure();
            const ms = performance.now() - started;
            opts.onQuery?.(operation, ms / 1000, ok);
            if (ms > slowMs) opts.logger.warn({ operation, ms: Math.round(ms) }, 'slow query');
          };
          let result: unknown;
          try {
            result = (value as (...a: unknown[]) => unknown).apply(t, args);
          } catch (err) {
            settle(false, err);
            throw err;
          }
          if (!(result instanceof Promise)) {
            if (trial) opts.breaker.trialDone();
            return result; // a synchronous helper: nothing to time
          }
          return result.then(
            (v) => {
              settle(true);
              return v;
            },
            (err) => {
              settle(false, err);
              throw err;
            },
          );
        };
      },
    });
  return wrap(storage, '');
}

/** Breaker failures: the database could not be reached (not bad input, not a constraint). */
export const databaseFailure = isUnavailableError;
