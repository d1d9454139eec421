// SQL delivery against a real PostgreSQL: the local executor (psql on stdin) and the remote step script
// (run here with bash) must deliver the SQL byte for byte, count rows, and roll back when over the limit.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalExecutor } from '../../src/adapters/local/local-executor.js';
import { connectionEnv } from '../../src/adapters/local/pg-connection-env.js';
import type { StepResult } from '../../src/ports/executor.js';
import { loadSqlParser } from '../../src/runbook/lint-sql.js';
import type { Database, SqlStep } from '../../src/runbook/model.js';
import { renderStepScript } from '../../src/run/step-script.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let pg: TestPostgres;
const database: Database = { name: 'main', engine: 'postgres', target: 'local', urlEnv: 'OPSGATE_TEST_DB_URL' };

beforeAll(async () => {
  pg = await startPostgres();
  await loadSqlParser();
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

function query(sql: string): string {
  return execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: { ...process.env, ...connectionEnv(pg.url), PGOPTIONS: '-c client_min_messages=warning' }, encoding: 'utf8' }).trimEnd();
}

function sqlStep(sql: string, extra: Partial<SqlStep> = {}): SqlStep {
  return { kind: 'sql', name: 'sql', index: 0, timeoutSeconds: 60, continueOnError: false, sql, database: 'main', transaction: true, ...extra };
}

interface Delivery {
  name: string;
  run(step: SqlStep): Promise<StepResult & { output: string }>;
}

const local: Delivery = {
  name: 'local executor',
  async run(step) {
    let output = '';
    const result = await createLocalExecutor().runStep(step, {
      runId: 'r',
      database,
      env: { OPSGATE_TEST_DB_URL: pg.url },
      signal: new AbortController().signal,
      onOutput: async (_s, chunk) => {
        output += Buffer.from(chunk).toString('utf8');
      },
    });
    return { ...result, output };
  },
};

const remoteScript: Delivery = {
  name: 'remote step script run by bash',
  async run(step) {
    const run = spawnSync('bash', ['-c', renderStepScript(step, database)], { env: { ...process.env, OPSGATE_TEST_DB_URL: pg.url }, encoding: 'utf8' });
    const status = run.status === 0 ? 'succeeded' : 'failed';
    return { status, exitCode: run.status, message: '', output: run.stdout + run.stderr };
  },
};

// Every awkward thing psql or a shell could misread; stored and read back as hex to compare bytes.
const tricky = [
  "it's",
  'back\\slash',
  '\\echo not a meta-command',
  '; semicolon; inside',
  '$$ dollar $$',
  'tag $x$ inside',
  ':ROW_COUNT :opsgate_rows :"x" :\'y\'',
  'é 日本語 🙂',
  '-- not a comment',
  '`whoami` $(id) ${HOME}',
];

describe.each([local, remoteScript])('$name', (delivery) => {
  const table = `t_${delivery === local ? 'local' : 'remote'}`;

  it('delivers tricky SQL byte for byte', async () => {
    query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int primary key, v text)`);
    const sql = [
      `-- leading comment with 'quote' and \\backslash`,
      `INSERT INTO ${table} VALUES (1, 'it''s');`,
      `INSERT INTO ${table} VALUES (2, E'back\\\\slash');`,
      `INSERT INTO ${table} VALUES (3, '`,
      `\\echo not a meta-command');`,
      `INSERT INTO ${table} VALUES (4, '; semicolon; inside'); /* block ; comment */`,
      `INSERT INTO ${table} VALUES (5, $q$$$ dollar $$$q$ || $$$$);`,
      `INSERT INTO ${table} VALUES (6, $x$tag $x$ || $y$$x$ inside$y$);`,
      `INSERT INTO ${table} VALUES (7, ':ROW_COUNT :opsgate_rows :"x" :''y''');`,
      `INSERT INTO ${table} VALUES (8, 'é 日本語 🙂');`,
      `INSERT INTO ${table} VALUES (9, '-- not a comment');`,
      `INSERT INTO ${table} VALUES (10, '\`whoami\` $(id) \${HOME}')`,
    ].join('\n');
    const result = await delivery.run(sqlStep(sql));
    expect(result.output).toBe('');
    expect(result.status).toBe('succeeded');
    const hex = query(`SELECT encode(convert_to(v, 'UTF8'), 'hex') FROM ${table} ORDER BY id`).split('\n');
    // Row 3 starts with a newline (the string spans a line), rows 5 and 6 are concatenations
    // of dollar-quoted strings ($$$$ is an empty one).
    const expected = ["it's", 'back\\slash', '\n\\echo not a meta-command', '; semicolon; inside', tricky[4], 'tag $x$ inside', tricky[6], tricky[7], tricky[8], tricky[9]];
    expect(hex.map((h) => Buffer.from(h, 'hex').toString('utf8'))).toEqual(expected);
  });

  it('rolls back and fails when max-affected-rows is exceeded, summing all statements', async () => {
    query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int primary key, v text); INSERT INTO ${table} SELECT g, 'a' FROM generate_series(1, 10) g`);
    const sql = `UPDATE ${table} SET v = 'b' WHERE id <= 4;\nSELECT * FROM ${table};\nDELETE FROM ${table} WHERE id > 7`;
    const result = await delivery.run(sqlStep(sql, { maxAffectedRows: 6 }));
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain('opsgate: 7 rows affected (max-affected-rows 6)');
    expect(result.output).toContain('7 rows affected, more than max-affected-rows 6; the transaction is rolled back');
    expect(query(`SELECT count(*), count(*) FILTER (WHERE v = 'b') FROM ${table}`)).toBe('10|0');
  });

  it('commits when the total is within the limit and prints it', async () => {
    query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int primary key, v text); INSERT INTO ${table} SELECT g, 'a' FROM generate_series(1, 10) g`);
    const result = await delivery.run(sqlStep(`UPDATE ${table} SET v = 'b' WHERE id <= 4; DELETE FROM ${table} WHERE id > 7 -- trailing`, { maxAffectedRows: 7 }));
    expect(result.status).toBe('succeeded');
    expect(result.output).toContain('opsgate: 7 rows affected (max-affected-rows 7)');
    expect(query(`SELECT count(*), count(*) FILTER (WHERE v = 'b') FROM ${table}`)).toBe('7|4');
  });

  it('a failing statement exits non-zero and rolls back earlier statements', async () => {
    query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int primary key, v text)`);
    const result = await delivery.run(sqlStep(`INSERT INTO ${table} VALUES (1, 'x');\nINSERT INTO ${table} VALUES (1, 'dup');`));
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain('duplicate key value violates unique constraint');
    expect(query(`SELECT count(*) FROM ${table}`)).toBe('0');
  });
});

// max-affected-rows counts what the server changed, wherever in the statement it happens (limit 1, 10 rows).
describe.each([local, remoteScript])('$name: rows changed below the top of a statement', (delivery) => {
  const table = `n_${delivery === local ? 'local' : 'remote'}`;
  const reset = () => query(`DROP TABLE IF EXISTS ${table}, ${table}_log CASCADE; CREATE TABLE ${table} (id int primary key, v text); CREATE TABLE ${table}_log (id int); INSERT INTO ${table} SELECT g, 'a' FROM generate_series(1, 10) g`);
  const remaining = () => query(`SELECT count(*) FROM ${table}`);

  it.each([
    ['a data-modifying CTE', (t: string) => `WITH d AS (DELETE FROM ${t} RETURNING *) SELECT count(*) FROM d`],
    ['EXPLAIN ANALYZE', (t: string) => `EXPLAIN (ANALYZE, COSTS OFF) DELETE FROM ${t}`],
    ['a DO block', (t: string) => `DO $$ BEGIN DELETE FROM ${t}; END $$`],
    ['a function called from SELECT', (t: string) => `CREATE FUNCTION ${t}_wipe() RETURNS bigint LANGUAGE sql AS $$ WITH d AS (DELETE FROM ${t} RETURNING 1) SELECT count(*) FROM d $$;\nSELECT ${t}_wipe()`],
  ])('rolls back %s that changes 10 rows', async (_what, sqlFor) => {
    reset();
    const result = await delivery.run(sqlStep(sqlFor(table), { maxAffectedRows: 1 }));
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(3);
    expect(result.output).toContain('opsgate: 10 rows affected (max-affected-rows 1)');
    expect(result.output).toContain('10 rows affected, more than max-affected-rows 1; the transaction is rolled back');
    expect(remaining()).toBe('10');
  });

  it('counts rows that triggers change too', async () => {
    reset();
    query(`CREATE OR REPLACE FUNCTION ${table}_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${table}_log VALUES (NEW.id); RETURN NEW; END $$; CREATE TRIGGER ${table}_audit AFTER UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_audit()`);
    const result = await delivery.run(sqlStep(`UPDATE ${table} SET v = 'b' WHERE id <= 3`, { maxAffectedRows: 5 }));
    expect(result.status).toBe('failed');
    expect(result.output).toContain('opsgate: 6 rows affected (max-affected-rows 5)');
    expect(query(`SELECT count(*) FROM ${table} WHERE v = 'b'`)).toBe('0');
  });

  it('keeps the count when a later TRUNCATE lowers the server figures', async () => {
    reset();
    const sql = `INSERT INTO ${table}_log SELECT g FROM generate_series(1, 8) g;\nTRUNCATE ${table}_log`;
    const result = await delivery.run(sqlStep(sql, { maxAffectedRows: 5 }));
    expect(result.status).toBe('failed');
    expect(result.output).toContain('opsgate: 8 rows affected (max-affected-rows 5)');
  });

  it('commits a CTE within the limit and prints the count', async () => {
    reset();
    const result = await delivery.run(sqlStep(`WITH d AS (DELETE FROM ${table} WHERE id > 7 RETURNING *) SELECT count(*) FROM d`, { maxAffectedRows: 3 }));
    expect(result.status).toBe('succeeded');
    expect(result.output).toContain('opsgate: 3 rows affected (max-affected-rows 3)');
    expect(remaining()).toBe('7');
  });
});

describe('max-affected-rows when the server does not count', () => {
  it('refuses to commit when track_counts is off', async () => {
    query('DROP TABLE IF EXISTS tc; CREATE TABLE tc (id int); INSERT INTO tc VALUES (1), (2)');
    let output = '';
    const result = await createLocalExecutor().runStep(sqlStep('DELETE FROM tc WHERE id = 1', { maxAffectedRows: 5 }), {
      runId: 'r', database, env: { OPSGATE_TEST_DB_URL: pg.url, PGOPTIONS: '-c track_counts=off' }, signal: new AbortController().signal,
      onOutput: async (_s, chunk) => { output += Buffer.from(chunk).toString('utf8'); },
    });
    expect(result.status).toBe('failed');
    expect(output).toContain('track_counts is off on this server');
    expect(query('SELECT count(*) FROM tc')).toBe('2');
  });
});

describe('max-affected-rows without a transaction', () => {
  it('is refused before psql runs, by both deliveries', async () => {
    const step = sqlStep('UPDATE t SET v = 1 WHERE id = 1', { transaction: false, maxAffectedRows: 1 });
    const result = await createLocalExecutor().runStep(step, { runId: 'r', database, env: { OPSGATE_TEST_DB_URL: pg.url }, signal: new AbortController().signal, onOutput: async () => {} });
    expect(result).toMatchObject({ status: 'error', exitCode: null });
    expect(result.message).toContain('expect.max-affected-rows needs transaction: true');
    expect(() => renderStepScript(step, database)).toThrow('expect.max-affected-rows needs transaction: true');
  });
});

describe('SQL step errors before psql runs', () => {
  it('names the missing environment variable (local)', async () => {
    const result = await createLocalExecutor().runStep(sqlStep('SELECT 1'), { runId: 'r', database: { ...database, urlEnv: 'OPSGATE_NOT_SET_URL' }, env: {}, signal: new AbortController().signal, onOutput: async () => {} });
    expect(result).toMatchObject({ status: 'error', exitCode: null });
    expect(result.message).toContain('environment variable OPSGATE_NOT_SET_URL');
  });

  it('names the missing environment variable (remote script)', () => {
    const run = spawnSync('bash', ['-c', renderStepScript(sqlStep('SELECT 1'), { ...database, urlEnv: 'OPSGATE_NOT_SET_URL' })], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('environment variable OPSGATE_NOT_SET_URL');
  });

  it('says how to install psql when it is missing (local)', async () => {
    const result = await createLocalExecutor().runStep(sqlStep('SELECT 1'), { runId: 'r', database, env: { OPSGATE_TEST_DB_URL: 'postgres://u@127.0.0.1:1/db', PATH: '/nonexistent' }, signal: new AbortController().signal, onOutput: async () => {} });
    expect(result).toMatchObject({ status: 'error', message: 'psql not found: install the PostgreSQL client (apt-get install postgresql-client)' });
  });
});
