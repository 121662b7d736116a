// Timers are not part of ES2022, so they are reached through globalThis with a minimal type.
interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const g = globalThis as unknown as Timers;

/** setTimeout that does not keep a server process alive (unref where the runtime has it). */
export function later(fn: () => void, ms: number): unknown {
  const handle = g.setTimeout(fn, ms);
  (handle as { unref?: () => void } | null)?.unref?.();
  return handle;
}

/** clearTimeout; a no-op for `undefined`. */
export const cancel = (handle: unknown): void => g.clearTimeout(handle);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => later(resolve, ms));
