import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../src/config/load-repo-config.js';
import { checkRunbook } from '../../src/runbook/check.js';
import { formatDiagnostic } from '../../src/runbook/diagnostics.js';
import { checkDuration, checkRfc3339, parseDuration } from '../../src/runbook/durations.js';
import { configSchema, runbookSchema } from '../../src/runbook/schema-definitions.js';
import { planRunbook } from '../../src/plan/plan.js';
import { renderPlanComment } from '../../src/render/plan-comment.js';

const root = join(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const config = loadRepoConfig({ path: '.github/opsgate.yml', bytes: readFileSync(join(root, '.github/opsgate.yml')) });
const runbook = (steps: string) => `version: 1\ntitle: T\ntarget: dev-box\nsteps:\n${steps}`;

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

  it('gives the same result and digest for bytes and for text', async () => {
    const path = 'runbooks/examples/backfill-invoice-totals.yml';
    const fromBytes = await checkRunbook({ path, bytes: readFileSync(join(root, path)) }, config.value!);
    const fromText = await checkRunbook({ path, text: read(path) }, config.value!);
    expect(fromBytes.checked!.digest).toBe(fromText.checked!.digest);
  });

  it('refuses invalid UTF-8 and oversized input given as bytes, in every loader', async () => {
    const bad = Buffer.concat([Buffer.from(runbook('  - name: a\n    run: echo ')), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    expect((await checkRunbook({ path: 'x.yml', bytes: bad }, config.value!)).diagnostics[0]).toMatchObject({ code: 'invalid-utf8' });
    expect(loadRepoConfig({ path: 'c.yml', bytes: bad }).diagnostics[0]).toMatchObject({ code: 'invalid-utf8' });
    const huge = Buffer.alloc(300 * 1024, 0x20);
    expect(loadRepoConfig({ path: 'c.yml', bytes: huge }).diagnostics[0]).toMatchObject({ code: 'file-too-large' });
  });

  it('keeps the schema files identical to the compiled schemas, with an $id usable outside this repo', () => {
    expect(JSON.parse(read('schema/runbook.schema.json'))).toEqual(runbookSchema);
    expect(JSON.parse(read('schema/config.schema.json'))).toEqual(configSchema);
    expect(runbookSchema.$id).toBe('https://raw.githubusercontent.com/OWNER/opsgate/main/schema/runbook.schema.json');
    expect(configSchema.$id).toBe('https://raw.githubusercontent.com/OWNER/opsgate/main/schema/config.schema.json');
    for (const example of ['runbooks/examples/backfill-invoice-totals.yml', 'runbooks/examples/rotate-web-logs.yml']) {
      expect(read(example).split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/runbook.schema.json');
    }
  });

  it('parses durations and says why one is refused', () => {
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('45s')).toBe(45);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(checkDuration('0s')).toEqual({ problem: 'is zero; a step needs time to run' });
    expect(checkDuration('1.5h')).toEqual({ problem: 'has a fraction; use whole units (1h30m, not 1.5h)' });
    expect(checkDuration('1d')).toEqual({ problem: 'uses days or weeks; write hours instead (24h, at most 48h)' });
    expect(checkDuration('90')).toEqual({ problem: 'has no unit; add s, m or h (e.g. 30s)' });
    expect(checkDuration('48h1s')).toEqual({ problem: 'is longer than the 48h maximum' });
  });

  it.each([
    ['2024-02-29T10:00:00Z', true],
    ['2000-02-29T10:00:00+01:00', true],
    ['2100-02-29T10:00:00Z', false],
    ['2026-02-29T10:00:00Z', false],
    ['2026-04-31T10:00:00Z', false],
    ['2026-13-01T10:00:00Z', false],
    ['2026-11-23T24:00:00Z', false],
    ['2026-11-23T10:00:60Z', false],
    ['2026-11-23T10:00:00-23:59', true],
    ['2026-11-23T10:00:00+24:00', false],
    ['2026-11-23T10:00:00+09:60', false],
    ['2026-11-23T10:00:00.250+09:00', true],
  ])('window timestamp %s valid: %s', (text, valid) => {
    expect('value' in checkRfc3339(text)).toBe(valid);
  });

  it('refuses max-affected-rows without a transaction, at the transaction value', async () => {
    const text = runbook('  - name: a\n    sql: DELETE FROM t WHERE id = 1;\n    database: billing\n    transaction: false\n    expect: { max-affected-rows: 1 }\n');
    const r = await checkRunbook({ path: 'x.yml', text }, config.value!);
    expect(r.checked).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({ code: 'limit-without-transaction', span: { start: { line: 8, column: 18 } } });
  });

  it('refuses nesting deeper than the limit without overflowing the stack', async () => {
    const text = `version: 1\ntitle: T\ntarget: dev-box\ndescription: ${'['.repeat(100_000)}${']'.repeat(100_000)}\nsteps:\n  - name: a\n    run: echo\n`;
    const r = await checkRunbook({ path: 'x.yml', text }, config.value!);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['yaml-too-deep']);
  });

  it('warns about a mysql database in the config and refuses steps that use it', async () => {
    const text = read('.github/opsgate.yml').replace('databases:\n', 'databases:\n  legacy: { engine: mysql, target: dev-box, url-env: LEGACY_URL }\n');
    const loaded = loadRepoConfig({ path: '.github/opsgate.yml', text });
    expect(loaded.value).toBeDefined();
    expect(loaded.diagnostics).toMatchObject([{ severity: 'warning', code: 'engine-unsupported' }]);
    const r = await checkRunbook({ path: 'x.yml', text: runbook('  - name: a\n    sql: SELECT 1\n    database: legacy\n') }, loaded.value!);
    expect(r.checked).toBeUndefined();
    expect(r.diagnostics[0]!.message).toContain('engine mysql is not supported yet');
  });

  it('prints file:line:column with full stops between message and fix', () => {
    const span = { start: { line: 3, column: 9 }, end: { line: 3, column: 9 } };
    expect(formatDiagnostic({ file: 'a.yml', span, severity: 'error', code: 'c', message: 'target "x" is not defined', fix: 'change it to "y"' }))
      .toBe('a.yml:3:9: error: target "x" is not defined. Fix: change it to "y".');
    expect(formatDiagnostic({ file: 'a.yml', span, severity: 'warning', code: 'c', message: 'did you mean `z`?' })).toBe('a.yml:3:9: warning: did you mean `z`?');
  });

  it('locates SQL lint hits exactly inside a plain scalar with non-ASCII text', async () => {
    const text = 'version: 1\ntitle: T\ntarget: dev-box\nsteps:\n  - name: a\n    sql: SELECT \'é\'; DELETE FROM t;\n    database: billing\n';
    const r = await checkRunbook({ path: 'x.yml', text }, config.value!);
    expect(r.diagnostics[0]).toMatchObject({ code: 'sql-delete-without-where', span: { start: { line: 6, column: 22 } } });
  });

  it('plans a data-modifying CTE as DML, not as a read', async () => {
    const text = runbook('  - name: Purge old\n    sql: WITH d AS (DELETE FROM t WHERE id < 10 RETURNING *) SELECT count(*) FROM d;\n    database: billing\n    expect: { max-affected-rows: 10 }\n');
    const check = await checkRunbook({ path: 'x.yml', text }, config.value!);
    const plan = planRunbook(check, config.value!);
    expect(plan.steps[0]!.statements).toEqual([{ class: 'dml', kind: 'SELECT with DELETE' }]);
    const markdown = renderPlanComment({ headSha: 'h', runbooks: [plan], configDiagnostics: [], configPath: '.github/opsgate.yml' }, { budget: Number.MAX_SAFE_INTEGER });
    expect(markdown).toContain('SELECT with DELETE \\(dml\\)');
    expect(markdown).not.toContain('\\(read\\)');
  });
});
