import { describe, expect, it } from 'vitest';
import { lintSql, type SqlLintInput } from '../../src/runbook/lint-sql.js';
import type { SqlRules, SqlStep } from '../../src/runbook/model.js';

const rules: SqlRules = { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'warning', truncate: 'error', ddl: 'warning' };

function step(sql: string, transaction = true): SqlStep {
  return { kind: 'sql', name: 's', index: 0, timeoutSeconds: 60, continueOnError: false, sql, database: 'db', transaction };
}

/** The step's SQL starts at line 10, column 7 of the file; locate counts lines/columns in characters. */
function input(sql: string, overrides: Partial<SqlLintInput> = {}): SqlLintInput {
  const bytes = Buffer.from(sql, 'utf8');
  const locate = (byteOffset: number) => {
    const before = bytes.subarray(0, byteOffset).toString('utf8');
    const lines = before.split('\n');
    const line = 10 + lines.length - 1;
    const column = (lines.length === 1 ? 7 : 1) + Array.from(lines.at(-1)!).length;
    return { start: { line, column }, end: { line, column } };
  };
  return { step: step(sql), engine: 'postgres', rules, file: 'runbooks/x.yml', locate, ...overrides };
}

const codesAt = async (sql: string, overrides: Partial<SqlLintInput> = {}) =>
  (await lintSql(input(sql, overrides))).diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.column}:${d.severity}`);

describe('lintSql', () => {
  it.each([
    ['UPDATE t SET a = 1', ['sql-update-without-where@10:7:error']],
    ['UPDATE t SET a = 1 WHERE id = 2', []],
    ['select 1;\nDELETE FROM t', ['sql-delete-without-where@11:1:error']],
    ['DELETE FROM t WHERE id = 1', []],
    ['select 1;\n  drop table t;', ['sql-drop@11:3:warning']],
    ['TRUNCATE t', ['sql-truncate@10:7:error']],
    ['ALTER TABLE t ADD COLUMN b int', ['sql-ddl@10:7:warning']],
    ['CREATE INDEX i ON t (a)', ['sql-ddl@10:7:warning']],
    ["SELECT 'é日本語';\nBEGIN;\nCOMMIT;", ['sql-explicit-transaction@11:1:error', 'sql-explicit-transaction@12:1:error']],
    ['with x as (select 1) update t set a = 1', ['sql-update-without-where@10:7:error']],
    ["SELECT ';', $$ ; $$ ; -- update t set a=1\nSELECT 2", []],
    ["SELECT a[1:n], a[1: n], a::int, ':x', $$:y$$ -- :z\nFROM t", ['sql-psql-variable@10:17:error']],
    ["SELECT 'é日', a[1:n] FROM t", ['sql-psql-variable@10:23:error']],
    ['SELECT a[2:"Q"], a[1:\'v\'] FROM t', ['sql-psql-variable@10:17:error', 'sql-psql-variable@10:27:error']],
  ])('%j → %j', async (sql, expected) => {
    expect(await codesAt(sql)).toEqual(expected);
  });

  it('reports a syntax error at the exact character, after non-ASCII text', async () => {
    const result = await lintSql(input("SELECT 'ééé';\nSELET 1"));
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: 'sql-syntax-error', severity: 'error', span: { start: { line: 11, column: 1 } } });
    expect(result.diagnostics[0]!.message).toContain('syntax error at or near "SELET"');
  });

  it('classifies statements with byte ranges', async () => {
    const sql = "SELECT 'é'; UPDATE t SET a=1 WHERE b; DROP TABLE x; BEGIN; SET x = 1";
    const { statements } = await lintSql(input(sql, { step: step(sql, false) }));
    expect(statements.map((s) => [s.class, s.kind, s.text])).toEqual([
      ['read', 'SELECT', "SELECT 'é'"],
      ['dml', 'UPDATE', 'UPDATE t SET a=1 WHERE b'],
      ['ddl', 'DROP TABLE', 'DROP TABLE x'],
      ['transaction', 'BEGIN', 'BEGIN'],
      ['other', 'SET', 'SET x = 1'],
    ]);
    const bytes = Buffer.from(sql);
    for (const s of statements) expect(bytes.subarray(s.byteStart, s.byteEnd).toString()).toBe(s.text);
  });

  it('allows explicit transactions when the step says transaction: false', async () => {
    const sql = 'BEGIN; UPDATE t SET a = 1 WHERE id = 1; COMMIT;';
    expect((await lintSql(input(sql, { step: step(sql, false) }))).diagnostics).toEqual([]);
  });

  it('honours rule levels, including off', async () => {
    const off: SqlRules = { updateWithoutWhere: 'off', deleteWithoutWhere: 'warning', drop: 'off', truncate: 'off', ddl: 'off' };
    expect(await codesAt('UPDATE t SET a=1; DELETE FROM t; DROP TABLE t; TRUNCATE t; CREATE TABLE y (a int)', { rules: off })).toEqual(['sql-delete-without-where@10:25:warning']);
  });

  it.each(['', '   \n', '-- only a comment\n'])('rejects empty SQL %j', async (sql) => {
    expect((await codesAt(sql))[0]).toMatch(/^sql-empty@10:7:error$/);
  });

  it('says MySQL is not supported yet', async () => {
    const result = await lintSql(input('SELECT 1', { engine: 'mysql' }));
    expect(result.diagnostics[0]).toMatchObject({ code: 'sql-engine-unsupported', severity: 'error' });
    expect(result.diagnostics[0]!.message).toContain('engine mysql is not supported yet');
  });

  // Nested data changes: the rules look at every INSERT/UPDATE/DELETE in the tree; nested hits point at the table.
  it.each([
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d', ['sql-delete-without-where@10:30:error']],
    ['WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d', []],
    ['EXPLAIN ANALYZE DELETE FROM t', ['sql-delete-without-where@10:35:error']],
    ['EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1', ['sql-update-without-where@10:41:error']],
    ['EXPLAIN DELETE FROM t', []],
    ['EXPLAIN (ANALYZE false) DELETE FROM t', []],
    ['WITH u AS (UPDATE t SET a = 1 RETURNING id) INSERT INTO log SELECT id FROM u', ['sql-update-without-where@10:25:error']],
    ['PREPARE p AS DELETE FROM t', ['sql-delete-without-where@10:32:error']],
    ["SELECT 'é'; WITH d AS (DELETE FROM t RETURNING 1) SELECT 1", ['sql-delete-without-where@10:42:error']],
    ['DO $$ BEGIN DELETE FROM t; END $$', ['sql-uncountable@10:7:warning']],
    ['CALL archive_everything()', ['sql-uncountable@10:7:warning']],
    ["COPY t TO PROGRAM 'gzip > /tmp/t.gz'", ['sql-uncountable@10:7:warning']],
    ['COPY t FROM STDIN', ['sql-copy-from-stdin@10:7:error']],
    ["COPY t FROM '/srv/t.csv'", []],
  ])('nested: %j → %j', async (sql, expected) => {
    expect(await codesAt(sql)).toEqual(expected);
  });

  it.each([
    ['DO $$ BEGIN DELETE FROM t WHERE id = 1; END $$', 'DO runs procedural code'],
    ['CALL p()', 'CALL runs a stored procedure'],
    ["COPY (SELECT 1) TO PROGRAM 'cat'", 'COPY ... PROGRAM runs a shell command'],
    ['TRUNCATE t', 'TRUNCATE removes rows without the server counting them'],
    ['DROP TABLE t', 'DROP TABLE removes data'],
    ['SET track_counts = off', 'SET track_counts'],
  ])('refuses %j when max-affected-rows is set', async (sql, reason) => {
    const { diagnostics } = await lintSql(input(sql, { step: { ...step(sql), maxAffectedRows: 5 } }));
    const uncountable = diagnostics.find((d) => d.code === 'sql-uncountable');
    expect(uncountable).toMatchObject({ severity: 'error', span: { start: { line: 10, column: 7 } } });
    expect(uncountable!.message).toContain(reason);
    expect(uncountable!.message).toContain('expect.max-affected-rows cannot be enforced');
  });

  it('labels statements that change data below the top as DML, for the plan', async () => {
    const sql = 'WITH d AS (DELETE FROM t WHERE a RETURNING *) SELECT * FROM d; EXPLAIN ANALYZE UPDATE t SET a = 1 WHERE b; EXPLAIN DELETE FROM t WHERE a; EXPLAIN ANALYZE SELECT 1; DO $$ BEGIN END $$; COPY t TO STDOUT; COPY t FROM \'/f\'';
    const { statements } = await lintSql(input(sql));
    expect(statements.map((s) => [s.class, s.kind])).toEqual([
      ['dml', 'SELECT with DELETE'],
      ['dml', 'EXPLAIN ANALYZE UPDATE'],
      ['read', 'EXPLAIN'],
      ['read', 'EXPLAIN ANALYZE'],
      ['other', 'DO'],
      ['read', 'COPY TO'],
      ['dml', 'COPY FROM'],
    ]);
  });
});
