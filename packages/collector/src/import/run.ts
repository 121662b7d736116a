import type { FieldError } from '@heed/protocol';
import { type IngestDeps, ingestItems } from '../ingest/pipeline.js';
import { type ImportJobProgress, INGEST_CHUNK_SIZE } from '../storage/types.js';
import { recordToEvent } from './map.js';
import { type DataProfile, Profiler } from './profile.js';
import { type ImportFormat, readRecords } from './readers.js';

export interface RowError {
  /** 1-based record number in the file (header excluded). */
  row: number;
  field: string;
  message: string;
}

/** Where an import is: the shape its job stores (storage/types.ts). */
export type ImportProgress = ImportJobProgress;

export interface ImportSummary extends Omit<ImportProgress, 'phase'> {
  profile: DataProfile;
  /** The first `maxErrors` row errors (the count is in `rejected`). */
  errors: RowError[];
  durationMs: number;
}

export interface ImportOptions {
  path: string;
  format: ImportFormat;
  organizationId: string;
  deps: IngestDeps;
  onProfile?: (p: DataProfile) => void;
  onProgress?: (p: ImportProgress) => void;
  /** Default 1000. */
  maxErrors?: number;
  signal?: AbortSignal;
  /** Stop after the profile (nothing is stored). */
  profileOnly?: boolean;
}

const NO_REQUEST = { userAgent: undefined, fromBrowser: false, header: () => undefined };

/**
 * Imports a file in two streaming passes: a data profile, then batches of 100 records through the
 * ingest pipeline (validation, dedupe by messageId, enrichment, customers). Re-running is safe: rows
 * already stored are counted as duplicates.
 */
export async function importFile(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const maxErrors = opts.maxErrors ?? 1000;
  const profiler = new Profiler();
  for await (const r of readRecords(opts.path, opts.format)) profiler.add(r);
  const profile = profiler.result();
  opts.onProfile?.(profile);
  if (opts.profileOnly) {
    const none = { total: profile.rows, processed: 0, accepted: 0, duplicates: 0, rejected: 0 };
    return { ...none, profile, errors: [], durationMs: Date.now() - started };
  }

  const progress: ImportProgress = {
    phase: 'importing',
    total: profile.rows,
    processed: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
  };
  const errors: RowError[] = [];
  const addError = (e: RowError) => {
    if (errors.length < maxErrors) errors.push(e);
  };
  let batch: unknown[] = [];
  let rowsOfBatch: number[] = [];
  let row = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const now = Date.now();
    const r = await ingestItems(opts.deps, opts.organizationId, batch, {
      receivedAt: now,
      sentAt: undefined,
      request: NO_REQUEST,
    });
    progress.accepted += r.accepted;
    progress.duplicates += r.duplicates;
    progress.rejected += r.rejected;
    for (const d of r.details as FieldError[]) {
      addError({ row: rowsOfBatch[d.index ?? 0] ?? 0, field: d.field, message: d.message });
    }
    progress.processed += batch.length;
    batch = [];
    rowsOfBatch = [];
    opts.onProgress?.({ ...progress });
  };
  for await (const r of readRecords(opts.path, opts.format)) {
    opts.signal?.throwIfAborted();
    row++;
    if (!r.ok) {
      progress.rejected++;
      progress.processed++;
      addError({ row, field: '', message: r.error });
      continue;
    }
    batch.push(recordToEvent(r.value));
    rowsOfBatch.push(row);
    if (batch.length >= INGEST_CHUNK_SIZE) await flush();
  }
  await flush();
  progress.phase = 'done';
  opts.onProgress?.({ ...progress });
  const { phase: _phase, ...counts } = progress;
  return { ...counts, profile, errors, durationMs: Date.now() - started };
}
