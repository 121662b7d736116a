import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Compress, FetchLike, ResponseLike } from '@heed/sdk-core';
import { Agent, fetch as undiciFetch } from 'undici';

/** undici fetch over one keep-alive connection pool. */
export function undiciTransport(agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 })): FetchLike {
  return (url, init) =>
    undiciFetch(url, {
      ...init,
      signal: init.signal as AbortSignal,
      dispatcher: agent,
    }) as Promise<ResponseLike>;
}

/**
 * The headers a server sends with each batch. The core posts a bare body, as a browser must to
 * avoid a CORS preflight; a server has no preflight to avoid, so this names the body (JSON; gzip
 * when it is bytes rather than text) and sends the write key as a Bearer token, which logs and
 * proxies treat as a secret (the body then carries no key).
 */
export function withHeaders(writeKey: string, send: FetchLike): FetchLike {
  return (url, init) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${writeKey}`,
      ...init.headers,
    };
    if (typeof init.body !== 'string') headers['content-encoding'] = 'gzip';
    return send(url, { ...init, headers });
  };
}

const gzipAsync = promisify(gzipCb);

/** gzip with node:zlib. */
export const gzip: Compress = async (body) => new Uint8Array(await gzipAsync(body));
