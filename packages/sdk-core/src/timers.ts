// Timers are not part of ES2022, so they are reached through globalThis with a minimal type.
interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const g = globalThis as unknown as Timers;

/**
 * True only in the browser's `<script>` build, whose bundler defines `globalThis.HEED_SCRIPT_BUILD`
 * as `true` (see sdk-browser's tsup.config.ts): code that serves only servers is left out of it.
 * Everywhere else (Node, the npm builds) the property is absent.
 */
export const SCRIPT_BUILD = (globalThis as { HEED_SCRIPT_BUILD?: boolean }).HEED_SCRIPT_BUILD === true;

/** setTimeout that does not keep a server process alive (unref where the runtime has it). */
export function later(fn: () => void, ms: number): unknown {
  // Node 23+ warns about a negative delay; browsers run it at once, as for 0
  const handle = g.setTimeout(fn, SCRIPT_BUILD ? ms : Math.max(0, ms));
  if (!SCRIPT_BUILD) (handle as { unref?: () => void }).unref?.();
  return handle;
}

/** clearTimeout; a no-op for `undefined`. */
export const cancel = (handle: unknown): void => g.clearTimeout(handle);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => later(resolve, ms));
