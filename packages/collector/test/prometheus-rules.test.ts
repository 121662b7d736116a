import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERTS } from '../src/observability/alerts.js';
import { appWithOrg } from './app.js';
import { freshDatabase, type TestDatabase } from './databases.js';

const RULES = join(import.meta.dirname, '../../../deploy/prometheus/heed-rules.yml');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}

describe('deploy/prometheus/heed-rules.yml', () => {
  let db: TestDatabase;
  let exposed: Set<string>;
  beforeAll(async () => {
    db = await freshDatabase('sqlite');
    const { app } = await appWithOrg(db.storage);
    const text = await (await app.request('/metrics')).text();
    exposed = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .flatMap((l) => {
          const [, , name, type] = l.split(' ');
          return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!];
        }),
    );
  });
  afterAll(() => db.drop());

  const rules = (): Rule[] => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
    return doc.groups.flatMap((g) => g.rules);
  };

  it('is valid YAML holding the in-process alerts by the same names', () => {
    const names = rules().map((r) => r.alert);
    for (const name of Object.values(ALERTS)) expect(names).toContain(name);
    for (const r of rules()) {
      expect(r.expr.trim().length).toBeGreaterThan(0);
      expect(r.for ?? '1m').toMatch(/^\d+[smh]$/);
    }
  });

  it('only references metrics that /metrics exposes', () => {
    const referenced = new Set(rules().flatMap((r) => r.expr.match(/\bheed_[a-z0-9_]+/g) ?? []));
    expect(referenced.size).toBeGreaterThanOrEqual(6);
    for (const name of referenced) expect(exposed, name).toContain(name);
  });
});
