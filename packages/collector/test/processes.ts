import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_CONFIG } from './app.js';

const CLI = join(import.meta.dirname, '../dist/cli.js');

export interface HeedProcess {
  proc: ChildProcessWithoutNullStreams;
  /** Everything it printed (stdout and stderr). */
  output(): string;
}

/** A free loopback port (so that a restarted process can take the same one). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Environment of a test process: test secrets, no rate limits, quiet logs. */
export function heedEnv(
  db: { databaseUrl: string | undefined; sqlitePath: string },
  env: Record<string, string> = {},
) {
  return {
    HEED_DATA_DIR: mkdtempSync(join(tmpdir(), 'heed-proc-')),
    DATABASE_URL: db.databaseUrl ?? db.sqlitePath,
    JWT_SECRET: TEST_CONFIG.jwtSecret,
    ENCRYPTION_KEY: TEST_CONFIG.encryptionKey,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_IP_PER_MIN: '0',
    RATE_LIMIT_USER_PER_MIN: '0',
    ML_THREADS: '1',
    ...env,
  };
}

/** Runs `node dist/cli.js <command>` and resolves once it printed `ready` (a RegExp on its output). */
export function runHeed(
  command: 'start' | 'worker',
  env: Record<string, string>,
  ready: RegExp,
): Promise<HeedProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, command], { env: { ...process.env, ...env } });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`heed ${command} did not start in 20 s:\n${out}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        proc.off('exit', onExit);
        resolve({ proc, output: () => out });
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`heed ${command} exited with ${code}:\n${out}`));
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', onExit);
  });
}

/** `heed start` on the given port. */
export function startCollectorProcess(env: Record<string, string>, port: number) {
  return runHeed('start', { ...env, PORT: String(port), HOST: '127.0.0.1' }, /listening on http:\/\/\S+/);
}

/** Ends a process: SIGKILL (a crash) or SIGTERM (a graceful stop); resolves when it has exited. */
export async function stopProcess(p: HeedProcess, signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill(signal);
  await exited;
}
