import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Compress, FetchLike, ResponseLike } from '@heed/sdk-core';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * undici fetch over one keep-alive connection pool. The core posts a bare body (the write key is in
 * it, and a gzipped body is bytes, a JSON one text), as a browser does to avoid a CORS preflight; a
 * server has no preflight to avoid, so this adds the headers that name what the body is, and the
 * write key as a Bearer token when given.
 */
export function undiciTransport(
  writeKey?: string,
  agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 }),
): FetchLike {
  return (url, init) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    if (typeof init.body !== 'string') headers['content-encoding'] = 'gzip';
    if (writeKey) headers.authorization = `Bearer ${writeKey}`;
    return undiciFetch(url, {
      ...init,
      headers,
      signal: init.signal as AbortSignal,
      dispatcher: agent,
    }) as Promise<ResponseLike>;
  };
}

const gzipAsync = promisify(gzipCb);

/** gzip with node:zlib. */
export const gzip: Compress = async (body) => new Uint8Array(await gzipAsync(body));
