import bcrypt from 'bcryptjs';
import pino from 'pino';
import { createApp } from '../src/app.js';
import type { AppConfig } from '../src/context.js';
import { Hub } from '../src/realtime/hub.js';
import type { Role, Storage } from '../src/storage/types.js';
import { TEST_CONFIG } from './app.js';

/** A password that meets the policy; its bcrypt hash is computed once per test file. */
export const PASSWORD = 'Correct-Horse-9-Battery';
let hash: Promise<string> | undefined;
export const passwordHash = () => {
  hash ??= bcrypt.hash(PASSWORD, 10);
  return hash;
};

/** An app over `storage` whose log lines are kept in `logs` (to check what is and is not logged). */
export async function accountsApp(storage: Storage, config: Partial<AppConfig> = {}, name = 'Acme') {
  const logs: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        raw.push(line);
        logs.push(JSON.parse(line));
      },
    },
  );
  const organizationId = await storage.createOrganization(name, `${name.toLowerCase()}-${Math.random()}`);
  const hub = new Hub();
  const app = createApp({ storage, logger, hub, config: { ...TEST_CONFIG, trustProxy: true, ...config } });
  return { app, hub, organizationId, logs, raw };
}

/** A user with the test PASSWORD. */
export async function userWithPassword(storage: Storage, organizationId: string, role: Role = 'admin') {
  return storage.users.create({
    organizationId,
    email: `${role}-${Math.random().toString(36).slice(2)}@Example.com`,
    passwordHash: await passwordHash(),
    role,
  });
}

type App = ReturnType<typeof createApp>;

export function api(app: App, ip = '203.0.113.7') {
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    app.request(path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'x-forwarded-for': ip,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  return {
    call,
    login: (email: string, password = PASSWORD) => call('POST', '/api/auth/login', { email, password }),
    get: (path: string, token?: string) => call('GET', path, undefined, token),
    post: (path: string, body: unknown, token?: string) => call('POST', path, body, token),
    patch: (path: string, body: unknown, token?: string) => call('PATCH', path, body, token),
    del: (path: string, token?: string) => call('DELETE', path, undefined, token),
  };
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; role: Role; lastLoginAt: string | null };
}
