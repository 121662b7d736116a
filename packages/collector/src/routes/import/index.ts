import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { uuidv7 } from '@heed/protocol';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { DataProfile } from '../../import/profile.js';
import type { ImportFormat } from '../../import/readers.js';
import { type ImportProgress, type ImportSummary, importFile } from '../../import/run.js';
import { publishCreated } from '../../ingest/pipeline.js';
import type { AuthVariables } from '../../middleware/auth.js';
import { bearer, errorResponses, errorSchema } from '../schemas.js';

/** Uploads larger than this are refused (413). */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;
const KEEP_JOBS = 100;
const WRITE_ROLES = ['analyst', 'admin'] as const;

interface Job {
  id: string;
  organizationId: string;
  status: 'running' | 'done' | 'failed';
  format: ImportFormat;
  createdAt: string;
  finishedAt: string | null;
  progress: Omit<ImportProgress, 'phase'> & { phase: ImportProgress['phase'] };
  profile: DataProfile | null;
  summary: Omit<ImportSummary, 'profile'> | null;
  error: string | null;
}

const jobSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'done', 'failed']),
    format: z.enum(['csv', 'ndjson', 'json', 'parquet']),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    progress: z.object({
      phase: z.enum(['profiling', 'importing', 'done']),
      total: z.number(),
      processed: z.number(),
      accepted: z.number(),
      duplicates: z.number(),
      rejected: z.number(),
    }),
    profile: z.unknown().nullable().openapi({ description: 'Column types, null %, duplicate rows' }),
    summary: z.unknown().nullable().openapi({ description: 'Counts and per-row errors, when done' }),
    error: z.string().nullable(),
  })
  .openapi('ImportJob');

const FORMAT_OF: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/json': 'json',
  'application/vnd.apache.parquet': 'parquet',
};

const startRoute = createRoute({
  method: 'post',
  path: '/api/import',
  tags: ['Import'],
  summary: 'Import a CSV, NDJSON, JSON-array or Parquet file (the raw request body) in the background',
  description:
    'Send the file as the body (`curl --data-binary @file.csv -H "content-type: text/csv"`). The format comes ' +
    'from `format` or the content type (text/csv, application/x-ndjson; JSON arrays over 1 MB as ' +
    'application/octet-stream with format=json; Parquet with format=parquet). Rows go through the ingest pipeline in batches of 100; ' +
    'poll GET /api/import/{id} for progress.',
  security: bearer,
  request: {
    query: z.object({ format: z.enum(['csv', 'ndjson', 'json', 'parquet']).optional() }),
    body: {
      content: {
        'text/csv': { schema: z.string() },
        'application/x-ndjson': { schema: z.string() },
        'application/octet-stream': { schema: z.string() },
      },
    },
  },
  responses: {
    202: { description: 'The import job, started', content: { 'application/json': { schema: jobSchema } } },
    ...errorResponses,
    413: { description: 'The file is too large', content: { 'application/json': { schema: errorSchema } } },
  },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/api/import/{id}',
  tags: ['Import'],
  summary: 'Progress and summary of an import job',
  security: bearer,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: jobSchema } } },
    ...errorResponses,
    404: {
      description: 'No such job in your organization',
      content: { 'application/json': { schema: errorSchema } },
    },
  },
});

function publicJob(j: Job): z.infer<typeof jobSchema> {
  const { organizationId: _org, ...rest } = j;
  return rest;
}

/** Copies the request body to a file, refusing more than `max` bytes. */
async function saveBody(body: ReadableStream<Uint8Array>, path: string, max: number): Promise<void> {
  let size = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > max) done(new HeedError('payload_too_large', `Imports are limited to ${max} bytes`));
      else done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as NodeWebStream<Uint8Array>), limit, createWriteStream(path));
}

/** `POST /api/import` (analyst, admin) and `GET /api/import/:id`. Jobs live in this process's memory. */
export function importRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const jobs = new Map<string, Job>();
  const auth = ctx.auth(WRITE_ROLES);

  app.use(startRoute.path, auth);
  app.openapi(startRoute, async (c) => {
    const { format: given } = c.req.valid('query');
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const format = given ?? FORMAT_OF[type];
    if (!format) {
      throw new HeedError('validation_failed', 'The request is invalid', {
        details: [
          {
            field: 'format',
            message: 'is required unless the content type is text/csv or application/x-ndjson',
          },
        ],
      });
    }
    const body = c.req.raw.body;
    if (!body) throw new HeedError('bad_request', 'Send the file as the request body');
    const org = c.get('auth').organizationId;
    const dir = await mkdtemp(join(tmpdir(), 'heed-import-'));
    const file = join(dir, `upload.${format}`);
    try {
      // JSON bodies of /api/* are read (and size-checked) by the JSON limits middleware already.
      if (/\bjson\b/i.test(type)) await writeFile(file, await c.req.text());
      else await saveBody(body, file, MAX_IMPORT_BYTES);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const job: Job = {
      id: uuidv7(),
      organizationId: org,
      status: 'running',
      format,
      createdAt: new Date().toISOString(),
      finishedAt: null,
      progress: { phase: 'profiling', total: 0, processed: 0, accepted: 0, duplicates: 0, rejected: 0 },
      profile: null,
      summary: null,
      error: null,
    };
    jobs.set(job.id, job);
    for (const id of jobs.keys()) {
      if (jobs.size <= KEEP_JOBS) break;
      if (jobs.get(id)?.status !== 'running') jobs.delete(id);
    }
    void importFile({
      path: file,
      format,
      organizationId: org,
      deps: {
        storage: ctx.storage,
        pii: ctx.pii,
        onStored: publishCreated(ctx.hub),
        metrics: ctx.metrics,
      },
      onProfile: (p) => {
        job.profile = p;
      },
      onProgress: (p) => {
        job.progress = p;
      },
    })
      .then((summary) => {
        const { profile: _p, ...rest } = summary;
        job.summary = rest;
        job.status = 'done';
      })
      .catch((err: unknown) => {
        job.status = 'failed';
        job.error = err instanceof Error ? err.message : String(err);
        ctx.logger.error({ err, jobId: job.id }, 'import failed');
      })
      .finally(() => {
        job.finishedAt = new Date().toISOString();
        void rm(dir, { recursive: true, force: true });
      });
    return c.json(publicJob(job), 202);
  });

  app.use(statusRoute.path.replace('{id}', ':id'), auth);
  app.openapi(statusRoute, (c) => {
    const job = jobs.get(c.req.valid('param').id);
    if (!job || job.organizationId !== c.get('auth').organizationId) {
      throw new HeedError('not_found', 'No such import job');
    }
    return c.json(publicJob(job), 200);
  });
  return app;
}
