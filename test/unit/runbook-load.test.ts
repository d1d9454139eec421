import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRepoConfigBytes } from '../../src/config/load-repo-config.js';
import { checkRunbook } from '../../src/runbook/check.js';
import { parseDuration } from '../../src/runbook/durations.js';
import { configSchema, runbookSchema } from '../../src/runbook/schema-definitions.js';

const root = join(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const config = loadRepoConfigBytes('.github/opsgate.yml', read('.github/opsgate.yml'));

describe('runbook loading', () => {
  it('loads the demo config with defaults', () => {
    expect(config.diagnostics).toEqual([]);
    expect(config.value!.targets['dev-box']).toEqual({ kind: 'local', name: 'dev-box' });
    expect(config.value!.databases.billing).toMatchObject({ engine: 'postgres', target: 'dev-box', urlEnv: 'BILLING_DATABASE_URL' });
    expect(config.value!.policy.sqlRules.ddl).toBe('warning');
  });

  it('checks the main example: shell and SQL steps, defaults, statements, digest', async () => {
    const path = 'runbooks/examples/backfill-invoice-totals.yml';
    const r = await checkRunbook({ path, text: read(path) }, config.value!);
    expect(r.diagnostics).toEqual([]);
    const rb = r.checked!.runbook;
    expect(rb.steps.map((s) => s.kind)).toEqual(['shell', 'sql', 'sql', 'sql']);
    expect(rb.steps[0]!.timeoutSeconds).toBe(30);
    expect(rb.steps[1]).toMatchObject({ timeoutSeconds: 600, transaction: true, database: 'billing', continueOnError: false });
    expect(rb.steps[2]).toMatchObject({ maxAffectedRows: 500 });
    expect(r.checked!.sqlStatements.get(2)![0]!.kind).toContain('UPDATE');
    expect(r.checked!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('keeps the schema files identical to the compiled schemas', () => {
    expect(JSON.parse(read('schema/runbook.schema.json'))).toEqual(runbookSchema);
    expect(JSON.parse(read('schema/config.schema.json'))).toEqual(configSchema);
  });

  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('45s')).toBe(45);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });

  it('locates SQL lint hits exactly inside a plain scalar with non-ASCII text', async () => {
    const text = 'version: 1\ntitle: T\ntarget: dev-box\nsteps:\n  - name: a\n    sql: SELECT \'é\'; DELETE FROM t;\n    database: billing\n';
    const r = await checkRunbook({ path: 'x.yml', text }, config.value!);
    expect(r.diagnostics[0]).toMatchObject({ code: 'sql-delete-without-where', span: { start: { line: 6, column: 22 } } });
  });
});
