import type { Core } from './core.js';
import { sleep } from './timers.js';

export interface ShutdownResult {
  /** Events still queued when the time ran out (0 when everything was delivered or reported). */
  undelivered: number;
}

/**
 * Delivers everything queued within `timeoutMs`, waiting out retry delays that end before the
 * deadline, then closes the client (unless `close` is false: the exit hooks leave it open, since
 * the app may go on after `beforeExit`). Resolves with what could not be delivered; never rejects.
 */
export async function shutdown(core: Core, timeoutMs = 10_000, close = true): Promise<ShutdownResult> {
  const deadline = Date.now() + timeoutMs;
  let size = 0;
  try {
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await Promise.race([core.flush(), sleep(remaining)]);
      const { size: left, nextAt } = await core.stats();
      size = left;
      if (size === 0 || core.stopped || nextAt === null || nextAt > deadline) break;
      if (nextAt > Date.now()) await sleep(nextAt - Date.now());
    }
  } catch {
    // storage failures are reported by the core; what is left is counted below
  }
  if (close) core.close();
  return { undelivered: size };
}
