import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { isUuid, uuidv7 } from '@heed/protocol';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import { effectiveJob, JobRecorder, MAX_STORED_ROW_ERRORS, storedSummary } from '../../import/jobs.js';
import type { ImportFormat } from '../../import/readers.js';
import { importFile } from '../../import/run.js';
import { publishCreated } from '../../ingest/pipeline.js';
import type { AuthVariables } from '../../middleware/auth.js';
import type { ImportJob } from '../../storage/types.js';
import { bearer, errorResponses, errorSchema } from '../schemas.js';

/** Finished jobs kept per organization (the oldest beyond it are deleted when a new one starts). */
const KEEP_JOBS = 100;
/** Uploads larger than this are refused (413). */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;
const WRITE_ROLES = ['analyst', 'admin'] as const;

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
    summary: z
      .unknown()
      .nullable()
      .openapi({
        description: `Counts and per-row errors, when done (at most the first ${MAX_STORED_ROW_ERRORS} row errors are kept; the counts are complete)`,
      }),
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
    'poll GET /api/import/{id} for progress. Jobs are stored in the database: any collector instance answers, ' +
    'also after a restart; a job whose import was cut short by a restart is reported failed.',
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

function publicJob(stored: ImportJob): z.infer<typeof jobSchema> {
  const j = effectiveJob(stored);
  return {
    id: j.id,
    status: j.status,
    format: j.format as ImportFormat,
    createdAt: j.createdAt.toISOString(),
    finishedAt: j.finishedAt ? j.finishedAt.toISOString() : null,
    progress: j.progress,
    profile: j.profile,
    summary: j.summary,
    error: j.error,
  };
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

/**
 * `POST /api/import` (analyst, admin) and `GET /api/import/:id`. Jobs are stored in the database
 * (storage.imports): every instance sees them, and they outlive the process.
 */
export function importRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
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
    let job: ImportJob;
    try {
      job = await ctx.storage.imports.create({
        id: uuidv7(),
        organizationId: org,
        format,
        progress: { phase: 'profiling', total: 0, processed: 0, accepted: 0, duplicates: 0, rejected: 0 },
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    // Each organization keeps its newest KEEP_JOBS finished jobs (a failed clean-up only logs)
    ctx.storage.imports
      .prune(org, KEEP_JOBS)
      .catch((err: unknown) =>
        ctx.logger.warn({ err: (err as Error)?.message }, 'import job clean-up failed'),
      );
    const recorder = new JobRecorder({
      storage: ctx.storage,
      logger: ctx.logger,
      organizationId: org,
      jobId: job.id,
      progress: job.progress,
    });
    void importFile({
      path: file,
      format,
      organizationId: org,
      maxErrors: MAX_STORED_ROW_ERRORS,
      deps: {
        storage: ctx.storage,
        pii: ctx.pii,
        onStored: publishCreated(ctx.hub),
        metrics: ctx.metrics,
      },
      onProfile: (p) => recorder.onProfile(p),
      onProgress: (p) => recorder.onProgress(p),
    })
      .then((summary) => ({ status: 'done' as const, summary: storedSummary(summary), error: null }))
      // any failure above, the import's or the summary's: the job still finishes (and its heartbeat stops)
      .catch((err: unknown) => {
        ctx.logger.error({ err, jobId: job.id }, 'import failed');
        const error = err instanceof Error ? err.message : String(err);
        return { status: 'failed' as const, summary: null, error };
      })
      .then((result) => recorder.finish({ ...result, finishedAt: new Date() }))
      .finally(() => rm(dir, { recursive: true, force: true }))
      .catch((err: unknown) => ctx.logger.error({ err, jobId: job.id }, 'import clean-up failed'));
    return c.json(publicJob(job), 202);
  });

  app.use(statusRoute.path.replace('{id}', ':id'), auth);
  app.openapi(statusRoute, async (c) => {
    const { id } = c.req.valid('param');
    // Ids are UUIDs: anything else is no job (and never reaches a uuid column).
    const job = isUuid(id) ? await ctx.storage.imports.get(c.get('auth').organizationId, id) : null;
    if (!job) throw new HeedError('not_found', 'No such import job');
    return c.json(publicJob(job), 200);
  });
  return app;
}
