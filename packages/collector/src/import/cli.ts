import { parseArgs } from 'node:util';
import { createCache } from '../cache/index.js';
import type { Config } from '../config.js';
import { createPiiCipher } from '../security/pii.js';
import { storageFor } from '../storage/index.js';
import { formatProfile } from './profile.js';
import { progressBar } from './progress.js';
import { formatFromName, type ImportFormat } from './readers.js';
import { importFile } from './run.js';

export const IMPORT_USAGE = `Usage: heed import FILE [--org ORGANIZATION_ID] [--format csv|ndjson|json|parquet] [--profile-only] [--json]

Imports interactions from a CSV (header row), NDJSON, JSON-array or Parquet file through the ingest pipeline
(same validation, dedupe and enrichment as /v1/batch), in batches of 100. Prints a data profile first
(column types, null %, duplicate rows; columns over 50% null are flagged), a progress bar on stderr,
then a summary with per-row errors. Re-running the same file stores nothing twice: rows without a
messageId get one derived from their content. --org may be left out when there is one organization.`;

/** `heed import`: returns the process exit code (0 all rows stored or duplicates, 1 some rejected). */
export async function importCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      format: { type: 'string' },
      'profile-only': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const file = positionals[0];
  if (values.help || !file) {
    console.log(IMPORT_USAGE);
    return values.help ? 0 : 2;
  }
  const format = (values.format ?? formatFromName(file)) as ImportFormat | null;
  if (format !== 'csv' && format !== 'ndjson' && format !== 'json' && format !== 'parquet') {
    console.error('Cannot tell the file format: use --format csv|ndjson|json|parquet');
    return 2;
  }
  const storage = storageFor(config);
  try {
    await storage.migrate();
    let org = values.org;
    if (!org) {
      const orgs = await storage.signals.organizationIds();
      if (orgs.length !== 1) {
        console.error(`There are ${orgs.length} organizations: choose one with --org (${orgs.join(', ')})`);
        return 2;
      }
      org = orgs[0]!;
    }
    const pii = createPiiCipher(config.encryptionKey, config.previousEncryptionKeys);
    const render = progressBar();
    const summary = await importFile({
      path: file,
      format,
      organizationId: org,
      deps: { storage, pii },
      profileOnly: values['profile-only'],
      onProfile: (p) => {
        if (!values.json) console.log(`${formatProfile(p)}\n`);
      },
      ...(values.json ? {} : { onProgress: render }),
    });
    if (values['profile-only']) {
      if (values.json) console.log(JSON.stringify(summary.profile));
      return 0;
    }
    if (config.redisUrl) {
      // Cached insights of other instances are dropped (an in-memory cache expires within its TTL).
      const cache = createCache({ redisUrl: config.redisUrl });
      await cache.invalidate(org);
      await cache.close();
    }
    if (values.json) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(
        `\nImported ${summary.processed} rows in ${(summary.durationMs / 1000).toFixed(1)} s: ` +
          `${summary.accepted} stored, ${summary.duplicates} duplicates, ${summary.rejected} rejected.`,
      );
      for (const e of summary.errors.slice(0, 50)) {
        console.log(`  row ${e.row}: ${e.field ? `${e.field} ` : ''}${e.message}`);
      }
      if (summary.rejected > 50) console.log(`  … ${summary.rejected - 50} more (use --json for all)`);
    }
    return summary.rejected > 0 ? 1 : 0;
  } finally {
    await storage.close();
  }
}
