/** The part of a fetch Response the SDK reads. */
export interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  /** The body as JSON; rejects when it is empty or not JSON. */
  json(): Promise<unknown>;
}

export interface RequestInitLike {
  method: 'POST';
  headers?: Record<string, string>;
  body: string | Uint8Array | ArrayBuffer;
  keepalive?: boolean;
  /** Aborts the request after `timeoutMs` (an AbortSignal). */
  signal?: unknown;
}

/** `fetch`, or anything shaped like it. */
export type FetchLike = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

/** Gzips a body; resolves to nothing (null, undefined) when compression is not available. */
export type Compress = (body: string) => Promise<Uint8Array | ArrayBuffer | null | undefined>;

/** Hands a body to the browser to send after the page is gone. */
export type SendBeacon = (url: string, body: string) => void;
