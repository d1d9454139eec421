// Renders the psql input for a SQL step: the user's SQL byte for byte, wrapped in a transaction, with the
// rows changed counted by the server after each statement and checked against max-affected-rows before COMMIT.
//
// Why the user's SQL is safe inside a psql script:
// - The SQL has already passed PostgreSQL's own parser (splitPostgresStatements). psql's lexer knows quotes,
//   E'' strings, dollar quotes ($$, $tag$) and comments, so a backslash or `:name` inside them is plain text.
//   A backslash outside of them is not valid PostgreSQL, so the parser has rejected it: no meta-command
//   (\!, \o, \copy ...) can come from the user's text.
// - psql interpolates `:name` outside quotes when a variable of that name is set. In valid PostgreSQL that can
//   only appear in an array slice (arr[1:n]); lintSql refuses it (sql-psql-variable), and our own variables
//   are prefixed `opsgate_`.
// - COPY ... FROM STDIN would read the rest of this script as data; lintSql refuses it (sql-copy-from-stdin).
// - The script travels on stdin (local) or base64-decoded inside a fixed template (remote), never through
//   shell quoting.
import type { SqlStatementInfo } from '../runbook/lint-sql.js';
import type { SqlStep } from '../runbook/model.js';

/** psql argv (after the program name); the connection comes from the environment or a final --dbname. */
export const PSQL_ARGS = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-psqlrc'] as const;

export interface PsqlScriptInput {
  step: SqlStep;
  /** From splitPostgresStatements(step.sql): byte ranges and classes. */
  statements: readonly SqlStatementInfo[];
}

const SEMICOLON = 0x3b;

/**
 * Cuts the SQL into consecutive byte segments, one per statement, each ending right after the statement's
 * semicolon. Their concatenation is exactly step.sql, so comments and spacing reach the server unchanged.
 */
function segmentsOf(sql: Buffer, statements: readonly SqlStatementInfo[]): { bytes: Buffer; terminated: boolean }[] {
  const segments: { bytes: Buffer; terminated: boolean }[] = [];
  let cut = 0;
  statements.forEach((statement, i) => {
    let end = statement.byteEnd;
    // The parser's range stops before the semicolon; only whitespace can sit between them.
    while (end < sql.length && sql[end] !== SEMICOLON && /\s/.test(String.fromCharCode(sql[end]!))) end += 1;
    const terminated = sql[end] === SEMICOLON;
    if (terminated) end += 1;
    if (i === statements.length - 1) end = sql.length;
    segments.push({ bytes: sql.subarray(cut, end), terminated });
    cut = end;
  });
  return segments;
}

export function renderPsqlScript({ step, statements }: PsqlScriptInput): Buffer {
  const sql = Buffer.from(step.sql, 'utf8');
  const limit = step.maxAffectedRows;
  const counting = limit !== undefined;
  // Validation refuses this combination; refusing here too keeps every executor from committing uncounted rows.
  if (counting && !step.transaction) throw new Error(`SQL step "${step.name}": expect.max-affected-rows needs transaction: true, so that going over the limit can be rolled back`);
  const parts: (string | Buffer)[] = ['\\set ON_ERROR_STOP on\n'];
  if (step.transaction) parts.push('BEGIN;\n');
  if (counting) parts.push(...countingStart());
  segmentsOf(sql, statements).forEach((segment) => {
    parts.push(segment.bytes);
    // A final statement without a semicolon (maybe followed by a -- comment) is ended on its own line.
    parts.push(segment.terminated ? '\n' : '\n;\n');
    if (counting) parts.push(COUNT_AFTER_STATEMENT);
  });
  if (counting) parts.push(...maxRowsCheck(limit));
  if (step.transaction) parts.push('COMMIT;\n');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

// Rows changed are counted by the server, not from psql's ROW_COUNT: pg_stat_xact_user_tables holds this
// backend's inserted, updated and deleted tuples, so rows changed inside CTEs, EXPLAIN ANALYZE, functions,
// DO blocks and triggers all count. Its figures can include earlier transactions not yet flushed, and drop
// when a table is truncated or dropped, so the total is the sum of each statement's increase. Everything is
// schema-qualified so the user's search_path cannot replace what counts.
const CHANGED_TUPLES = 'SELECT COALESCE(pg_catalog.sum(n_tup_ins OPERATOR(pg_catalog.+) n_tup_upd OPERATOR(pg_catalog.+) n_tup_del), 0) AS s FROM pg_catalog.pg_stat_xact_user_tables';

const TRACK_COUNTS_ON = `IF pg_catalog.current_setting('track_counts') IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'opsgate: track_counts is off on this server, so changed rows cannot be counted and expect.max-affected-rows cannot be enforced; nothing was committed';
  END IF;`;

function countingStart(): string[] {
  return [
    `DO $opsgate$ BEGIN\n  ${TRACK_COUNTS_ON}\nEND $opsgate$;\n`,
    `SELECT 0 AS opsgate_rows, s AS opsgate_seen FROM (${CHANGED_TUPLES}) opsgate_counts \\gset\n`,
  ];
}

const COUNT_AFTER_STATEMENT =
  `SELECT :opsgate_rows OPERATOR(pg_catalog.+) GREATEST(s OPERATOR(pg_catalog.-) :opsgate_seen, 0) AS opsgate_rows, s AS opsgate_seen FROM (${CHANGED_TUPLES}) opsgate_counts \\gset\n`;

/** Prints the total, then raises (psql exits 3, the open transaction is never committed) when over the limit. */
function maxRowsCheck(limit: number): string[] {
  const n = Math.trunc(limit);
  return [
    '\\echo opsgate: :opsgate_rows rows affected (max-affected-rows ' + n + ')\n',
    "SELECT pg_catalog.set_config('opsgate.rows', :'opsgate_rows', true) \\g /dev/null\n",
    'DO $opsgate$ BEGIN\n',
    `  ${TRACK_COUNTS_ON}\n`,
    `  IF pg_catalog.current_setting('opsgate.rows')::pg_catalog.numeric OPERATOR(pg_catalog.>) ${n} THEN\n`,
    `    RAISE EXCEPTION 'opsgate: % rows affected, more than max-affected-rows ${n}; the transaction is rolled back', pg_catalog.current_setting('opsgate.rows');\n`,
    '  END IF;\n',
    'END $opsgate$;\n',
  ];
}
