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

const gzipAsync = promisify(gzipCb);

/** gzip with node:zlib. */
export const gzip: Compress = async (body) => new Uint8Array(await gzipAsync(body));
