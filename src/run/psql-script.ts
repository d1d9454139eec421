// Renders the psql input for a SQL step: the user's SQL byte for byte, wrapped in a transaction, with the
// rows changed counted after each data-changing statement and checked against max-affected-rows before COMMIT.
//
// Why the user's SQL is safe inside a psql script:
// - The SQL has already passed PostgreSQL's own parser (splitPostgresStatements). psql's lexer knows quotes,
//   E'' strings, dollar quotes ($$, $tag$) and comments, so a backslash or `:name` inside them is plain text.
//   A backslash outside of them is not valid PostgreSQL, so the parser has rejected it: no meta-command
//   (\!, \o, \copy ...) can come from the user's text.
// - psql interpolates `:name` outside quotes when a variable of that name is set. In valid PostgreSQL that can
//   only appear in an array slice (arr[1:n]); lintSql refuses it (sql-psql-variable), and our own variables
//   are prefixed `opsgate_`.
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
  const parts: (string | Buffer)[] = ['\\set ON_ERROR_STOP on\n'];
  if (step.transaction) parts.push('BEGIN;\n');
  if (counting) parts.push('\\set opsgate_rows 0\n');
  segmentsOf(sql, statements).forEach((segment, i) => {
    parts.push(segment.bytes);
    // A final statement without a semicolon (maybe followed by a -- comment) is ended on its own line.
    parts.push(segment.terminated ? '\n' : '\n;\n');
    if (counting && statements[i]!.class === 'dml') {
      parts.push('SELECT :opsgate_rows + :ROW_COUNT AS opsgate_rows \\gset\n');
    }
  });
  if (counting) parts.push(...maxRowsCheck(limit, step.transaction));
  if (step.transaction) parts.push('COMMIT;\n');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/** Prints the total, then raises (psql exits 3, the open transaction is never committed) when over the limit. */
function maxRowsCheck(limit: number, inTransaction: boolean): string[] {
  const n = Math.trunc(limit);
  // Without a transaction the rows are already committed: say so instead of promising a rollback.
  const outcome = inTransaction ? 'the transaction is rolled back' : 'transaction: false, so the changes are already committed';
  return [
    '\\echo opsgate: :opsgate_rows rows affected (max-affected-rows ' + n + ')\n',
    "SELECT set_config('opsgate.rows', :'opsgate_rows', false) \\g /dev/null\n",
    'DO $opsgate$ BEGIN\n',
    `  IF current_setting('opsgate.rows')::bigint > ${n} THEN\n`,
    `    RAISE EXCEPTION 'opsgate: % rows affected, more than max-affected-rows ${n}; ${outcome}', current_setting('opsgate.rows');\n`,
    '  END IF;\n',
    'END $opsgate$;\n',
  ];
}
