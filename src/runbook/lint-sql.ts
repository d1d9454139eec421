// SQL analysis and lint with the engine's real parser. (Contract stub: the SQL work replaces the body.)
import type { Diagnostic } from './diagnostics.js';
import type { SourceSpan, SqlRules, SqlStep } from './model.js';

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

export async function lintSql(_input: SqlLintInput): Promise<SqlLintResult> {
  return { statements: [], diagnostics: [] };
}
