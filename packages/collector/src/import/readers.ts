import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import streamArray from 'stream-json/streamers/stream-array.js';
import { storable } from '../ingest/body.js';

export type ImportFormat = 'csv' | 'ndjson' | 'json' | 'parquet';

/** One record of the file, or why its line could not be read. */
export type SourceRecord = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

export function formatFromName(name: string): ImportFormat | null {
  const ext = extname(name).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.json') return 'json';
  if (ext === '.parquet') return 'parquet';
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Streams the records of a CSV (header row, RFC 4180: csv-parse), NDJSON (one object per line) or
 * JSON array (stream-json: elements one at a time, never the whole file in memory) or Parquet
 * (hyparquet, pure JS: one row group in memory at a time).
 */
export async function* readRecords(path: string, format: ImportFormat): AsyncGenerator<SourceRecord> {
  for await (const r of readRaw(path, format)) yield r.ok ? { ok: true, value: storableRecord(r.value) } : r;
}

/** A NUL, or a UTF-16 surrogate (valid pairs too: storable() then keeps those and replaces lone ones). */
const SUSPECT = /[\0\ud800-\udfff]/;

function suspect(v: unknown): boolean {
  if (typeof v === 'string') return SUSPECT.test(v);
  if (Array.isArray(v)) return v.some(suspect);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => SUSPECT.test(k) || suspect(x));
  return false;
}

/**
 * A record both dialects can store: NULs and lone surrogates (which PostgreSQL's text and jsonb
 * refuse) become U+FFFD, as they do in events posted over HTTP; most records are returned as they are.
 */
const storableRecord = (v: Record<string, unknown>) =>
  suspect(v) ? (storable(v) as Record<string, unknown>) : v;

async function* readRaw(path: string, format: ImportFormat): AsyncGenerator<SourceRecord> {
  if (format === 'csv') {
    const parser = createReadStream(path).pipe(
      parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, trim: false }),
    );
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      const value: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rec)) {
        // Empty cells are missing values; undo the formula escaping of our own CSV export.
        value[k] = v === '' ? null : /^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v;
      }
      yield { ok: true, value };
    }
    return;
  }
  if (format === 'ndjson') {
    const lines = createInterface({
      input: createReadStream(path, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      try {
        const v = JSON.parse(line) as unknown;
        yield isRecord(v) ? { ok: true, value: v } : { ok: false, error: 'must be a JSON object' };
      } catch {
        yield { ok: false, error: 'is not valid JSON' };
      }
    }
    return;
  }
  if (format === 'parquet') {
    yield* readParquet(path);
    return;
  }
  const items = createReadStream(path).pipe(streamArray.withParserAsStream());
  for await (const item of items as AsyncIterable<{ key: number; value: unknown }>) {
    yield isRecord(item.value)
      ? { ok: true, value: item.value }
      : { ok: false, error: 'must be a JSON object' };
  }
}

/** Parquet values as JSON-friendly ones: 64-bit integers as numbers (strings past 2^53), dates as ISO. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

async function* readParquet(path: string): AsyncGenerator<SourceRecord> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    for (const row of rows) yield { ok: true, value: plain(row) as Record<string, unknown> };
    rowStart = rowEnd;
  }
}
