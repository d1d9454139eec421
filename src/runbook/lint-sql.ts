// SQL analysis and lint with the engine's real parser (libpg-query: PostgreSQL's own grammar compiled to
// WASM). Splits a step's SQL into statements with exact byte ranges, classifies each, and applies the
// repository's SqlRules. MySQL has no parser here yet: such steps get one clear error instead of a guess.
import { loadModule, parseSync, scanSync } from 'libpg-query';
import type { Diagnostic, Severity } from './diagnostics.js';
import type { SourceSpan, SqlRules, SqlStep } from './model.js';
import { classifyStatement } from './sql-classify.js';
import { stepLabel } from './field-names.js';
import { statementEffects } from './sql-effects.js';
import { statementDiagnostics, type ParsedStatement } from './sql-rules.js';

export type StatementClass = 'read' | 'dml' | 'ddl' | 'transaction' | 'other';

export interface SqlStatementInfo {
  class: StatementClass;
  /** Statement keyword(s) as a user reads them: "SELECT", "UPDATE", "DROP TABLE". */
  kind: string;
  /** UTF-8 byte offsets into step.sql. */
  byteStart: number;
  byteEnd: number;
  text: string;
}

export interface SqlLintInput {
  step: SqlStep;
  engine: 'postgres' | 'mysql';
  rules: SqlRules;
  file: string;
  /** Maps a UTF-8 byte offset in step.sql to its place in the file. */
  locate: (byteOffset: number) => SourceSpan;
}

export interface SqlLintResult {
  statements: SqlStatementInfo[];
  diagnostics: Diagnostic[];
}

let moduleLoaded: Promise<void> | undefined;
let parserReady = false;

/** Loads the WASM parser once per process; parseSync is used after that. */
export function loadSqlParser(): Promise<void> {
  moduleLoaded ??= loadModule().then(() => {
    parserReady = true;
  });
  return moduleLoaded;
}

interface ParseError {
  message: string;
  /** UTF-8 byte offset of the error. */
  byteOffset: number;
}

type ParseOutcome = { statements: SqlStatementInfo[]; nodes: ParsedStatement[] } | { error: ParseError };

/** Splits and classifies PostgreSQL text. Exported for SQL delivery, which needs the statement boundaries. */
export async function splitPostgresStatements(sql: string): Promise<ParseOutcome> {
  await loadSqlParser();
  return splitPostgresStatementsSync(sql);
}

/** Synchronous form for renderers; loadSqlParser() (or any lintSql call) must have completed first. */
export function splitPostgresStatementsSync(sql: string): ParseOutcome {
  if (!parserReady) throw new Error('the SQL parser is not loaded yet: await loadSqlParser() before rendering SQL steps');
  const bytes = Buffer.from(sql, 'utf8');
  let tree: { stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch (error) {
    return { error: parseErrorOf(error, sql) };
  }
  const statements: SqlStatementInfo[] = [];
  const nodes: ParsedStatement[] = [];
  for (const raw of tree.stmts ?? []) {
    const byteStart = raw.stmt_location ?? 0;
    // stmt_len is absent (0) for the last statement when it has no terminating semicolon.
    const byteEnd = raw.stmt_len ? byteStart + raw.stmt_len : bytes.length;
    const [nodeName, node] = Object.entries(raw.stmt)[0] as [string, Record<string, unknown>];
    const effects = statementEffects(nodeName, node);
    const info = { ...classifyStatement(nodeName, node, effects), byteStart, byteEnd, text: bytes.subarray(byteStart, byteEnd).toString('utf8').trim() };
    statements.push(info);
    nodes.push({ info, nodeName, node, effects });
  }
  return { statements, nodes };
}

function parseErrorOf(error: unknown, sql: string): ParseError {
  const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
  const message = details?.message ?? (error instanceof Error ? error.message : String(error));
  // The parser reports a 0-based position in characters (code points); diagnostics want bytes.
  const charIndex = Math.max(0, details?.cursorPosition ?? 0);
  const prefix = Array.from(sql).slice(0, charIndex).join('');
  return { message, byteOffset: Buffer.byteLength(prefix, 'utf8') };
}

export async function lintSql(input: SqlLintInput): Promise<SqlLintResult> {
  const { step } = input;
  const at = (byteOffset: number, severity: Severity, code: string, message: string, fix?: string): Diagnostic => ({
    file: input.file,
    span: input.locate(byteOffset),
    severity,
    code,
    message,
    ...(fix ? { fix } : {}),
  });
  if (input.engine === 'mysql') {
    return {
      statements: [],
      diagnostics: [at(0, 'error', 'sql-engine-unsupported', `${stepLabel(step.index, step.name)} uses a mysql database; engine mysql is not supported yet: opsgate runs and checks PostgreSQL SQL only, so this step cannot run.`, 'use a PostgreSQL database for SQL steps, or run the mysql client from a shell step')],
    };
  }
  if (step.sql.trim() === '') {
    return { statements: [], diagnostics: [at(0, 'error', 'sql-empty', `${stepLabel(step.index, step.name)} has no SQL.`, 'write at least one statement under `sql:`')] };
  }
  const parsed = await splitPostgresStatements(step.sql);
  if ('error' in parsed) {
    return { statements: [], diagnostics: [at(parsed.error.byteOffset, 'error', 'sql-syntax-error', `SQL syntax error in ${stepLabel(step.index, step.name)}: ${parsed.error.message}`, 'correct the SQL at this position (opsgate checks it with PostgreSQL\'s own parser)')] };
  }
  if (parsed.statements.length === 0) {
    return { statements: [], diagnostics: [at(0, 'error', 'sql-empty', `${stepLabel(step.index, step.name)} has only comments, no SQL statement.`, 'write at least one statement under `sql:`')] };
  }
  const diagnostics = parsed.nodes.flatMap((statement) => statementDiagnostics(statement, step, input.rules, at));
  for (const byteOffset of psqlVariableOffsets(step.sql)) {
    diagnostics.push(at(byteOffset, 'error', 'sql-psql-variable', 'a colon followed by a name outside quotes is psql variable syntax (:name): opsgate sends SQL through psql, which could replace it.', 'write a space after the colon, e.g. arr[1: n]'));
  }
  return { statements: parsed.statements, diagnostics };
}

/**
 * Byte offsets of `:name`, `:'name'`, `:"name"` or `:{?name}` outside quotes and comments (found with the
 * real scanner). In valid PostgreSQL this only happens in array slices; psql would interpolate a variable
 * of that name, so such SQL is refused rather than silently changed.
 */
function psqlVariableOffsets(sql: string): number[] {
  const tokens = scanSync(sql).tokens;
  const offsets: number[] = [];
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token.text === ':' && next && next.start === token.end && /^[A-Za-z_"'{\u0080-\uffff]/.test(next.text)) offsets.push(token.start);
  });
  return offsets;
}
