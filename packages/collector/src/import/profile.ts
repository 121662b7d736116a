import { createHash } from 'node:crypto';
import type { SourceRecord } from './readers.js';

export type ValueType = 'string' | 'number' | 'boolean' | 'date' | 'object' | 'array';

export interface ColumnProfile {
  name: string;
  /** The most common type of the non-null values (numbers and dates are recognised inside CSV text). */
  type: ValueType | 'empty';
  types: Partial<Record<ValueType, number>>;
  nulls: number;
  nullPercent: number;
  /** More than half of the rows have no value here. */
  mostlyNull: boolean;
}

export interface DataProfile {
  rows: number;
  unreadable: number;
  duplicateRows: number;
  columns: ColumnProfile[];
}

const NUMBER_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function typeOf(v: unknown): ValueType {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'object') return 'object';
  const s = String(v);
  if (NUMBER_RE.test(s)) return 'number';
  if (s === 'true' || s === 'false') return 'boolean';
  if (DATE_RE.test(s) && !Number.isNaN(Date.parse(s))) return 'date';
  return 'string';
}

/** A stable fingerprint of a record (key order does not matter). */
export function fingerprint(rec: Record<string, unknown>): string {
  const keys = Object.keys(rec).sort();
  return createHash('sha256')
    .update(JSON.stringify(keys.map((k) => [k, rec[k] ?? null])))
    .digest('base64url');
}

/** Streaming profile: per-column types and nulls, duplicate rows. Memory: one 8-byte hash per row. */
export class Profiler {
  private rows = 0;
  private unreadable = 0;
  private duplicates = 0;
  private readonly seen = new Set<number>();
  private readonly cols = new Map<
    string,
    { nulls: number; types: Partial<Record<ValueType, number>>; firstRow: number }
  >();

  add(r: SourceRecord): void {
    this.rows++;
    if (!r.ok) {
      this.unreadable++;
      return;
    }
    const fp = fingerprint(r.value);
    // 52 bits of the hash as a number: 1M rows cost ~40 MB, collisions are negligible at this size.
    const h = Number.parseInt(Buffer.from(fp, 'base64url').subarray(0, 7).toString('hex'), 16) % 2 ** 52;
    if (this.seen.has(h)) this.duplicates++;
    else this.seen.add(h);
    for (const [k, v] of Object.entries(r.value)) {
      let c = this.cols.get(k);
      if (!c) {
        // A column first seen at row n was missing (null) in the n - 1 rows before it.
        c = { nulls: this.rows - 1, types: {}, firstRow: this.rows };
        this.cols.set(k, c);
      }
      if (v === null || v === undefined || v === '') c.nulls++;
      else {
        const t = typeOf(v);
        c.types[t] = (c.types[t] ?? 0) + 1;
      }
    }
    // Columns absent from this record are null in it.
    for (const [k, c] of this.cols) if (!(k in r.value)) c.nulls++;
  }

  result(): DataProfile {
    const readable = this.rows - this.unreadable;
    const columns = [...this.cols].map(([name, c]) => {
      const ranked = Object.entries(c.types).sort((a, b) => b[1] - a[1]);
      const nullPercent = readable === 0 ? 0 : Math.round((c.nulls / readable) * 1000) / 10;
      return {
        name,
        type: (ranked[0]?.[0] as ValueType | undefined) ?? 'empty',
        types: c.types,
        nulls: c.nulls,
        nullPercent,
        mostlyNull: nullPercent > 50,
      } satisfies ColumnProfile;
    });
    return { rows: this.rows, unreadable: this.unreadable, duplicateRows: this.duplicates, columns };
  }
}

/** The profile as a text table for the terminal. */
export function formatProfile(p: DataProfile): string {
  const lines = [
    `Rows: ${p.rows}   duplicate rows: ${p.duplicateRows}   unreadable: ${p.unreadable}`,
    '',
    `${'column'.padEnd(24)} ${'type'.padEnd(8)} ${'null %'.padStart(7)}`,
  ];
  for (const c of p.columns) {
    const flag = c.mostlyNull ? '  <- over 50% null' : '';
    lines.push(
      `${c.name.slice(0, 24).padEnd(24)} ${c.type.padEnd(8)} ${c.nullPercent.toFixed(1).padStart(7)}${flag}`,
    );
  }
  return lines.join('\n');
}
