import { type Core, shutdown } from '@heed/sdk-core';

/**
 * Flushes on `beforeExit` and on SIGTERM. The app's own SIGTERM handlers still run; when the SDK
 * is the only one listening, it re-raises the signal after flushing so the process still ends
 * the way it would have without the SDK. Returns a function that removes both hooks.
 */
export function installProcessHooks(core: Core, timeoutMs: number, enqueued: () => number): () => void {
  let drainedAt = -1;
  const onBeforeExit = () => {
    const count = enqueued();
    if (count === drainedAt || core.stopped) return; // nothing new since the last exit drain
    drainedAt = count;
    const keepAlive = setInterval(() => {}, 1_000); // the SDK's own timers are unref'd
    void shutdown(core, timeoutMs, false).finally(() => clearInterval(keepAlive)); // the app may go on
  };
  const onSigterm = () => {
    void shutdown(core, timeoutMs).finally(() => {
      process.off('SIGTERM', onSigterm);
      if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
    });
  };
  process.on('beforeExit', onBeforeExit);
  process.on('SIGTERM', onSigterm);
  return () => {
    process.off('beforeExit', onBeforeExit);
    process.off('SIGTERM', onSigterm);
  };
}
