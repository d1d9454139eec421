// The repo policy's SQL rules and the max-affected-rows safety rules, applied to one parsed statement and to
// every data-changing statement nested in it (CTEs, EXPLAIN ANALYZE, PREPARE, function bodies).
import type { Diagnostic, Severity } from './diagnostics.js';
import type { RuleLevel, SqlRules, SqlStep } from './model.js';
import type { SqlStatementInfo } from './lint-sql.js';
import type { StatementEffects } from './sql-effects.js';

export type At = (byteOffset: number, severity: Severity, code: string, message: string, fix?: string) => Diagnostic;

export interface ParsedStatement {
  info: SqlStatementInfo;
  nodeName: string;
  node: Record<string, unknown>;
  effects: StatementEffects;
}

export function statementDiagnostics(statement: ParsedStatement, step: SqlStep, rules: SqlRules, at: At): Diagnostic[] {
  return [...whereDiagnostics(statement, rules, at), ...schemaRuleDiagnostics(statement.info, rules, at), ...deliveryDiagnostics(statement, step, at)];
}

function whereDiagnostics({ info, nodeName, effects }: ParsedStatement, rules: SqlRules, at: At): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const dml of effects.dml) {
    const where = dml.topLevel ? info.byteStart : (dml.byteOffset ?? info.byteStart);
    const nested = dml.topLevel ? '' : nodeName === 'ExplainStmt' ? ' (inside EXPLAIN ANALYZE, which runs it)' : ` (nested in ${info.kind.split(' with ')[0]})`;
    if (dml.kind === 'UPDATE' && !dml.node.whereClause && !dml.node.whereCurrentOf && rules.updateWithoutWhere !== 'off') {
      found.push(at(where, rules.updateWithoutWhere, 'sql-update-without-where', `UPDATE without WHERE${nested} changes every row of the table.`, 'add a WHERE clause, or turn the rule off in the repo policy (sql-rules: update-without-where: off)'));
    }
    if (dml.kind === 'DELETE' && !dml.node.whereClause && !dml.node.whereCurrentOf && rules.deleteWithoutWhere !== 'off') {
      found.push(at(where, rules.deleteWithoutWhere, 'sql-delete-without-where', `DELETE without WHERE${nested} removes every row of the table.`, 'add a WHERE clause, or turn the rule off in the repo policy (sql-rules: delete-without-where: off)'));
    }
  }
  return found;
}

function schemaRuleDiagnostics(info: SqlStatementInfo, rules: SqlRules, at: At): Diagnostic[] {
  const found: Diagnostic[] = [];
  const rule = (level: RuleLevel, code: string, message: string, fix: string) => {
    if (level !== 'off') found.push(at(info.byteStart, level, code, message, fix));
  };
  if (info.kind.startsWith('DROP ')) {
    rule(rules.drop, 'sql-drop', `${info.kind} destroys data and cannot be rolled back after commit.`, 'make sure this is intended; the repo policy (sql-rules: drop) sets this level');
  } else if (info.kind === 'TRUNCATE') {
    rule(rules.truncate, 'sql-truncate', 'TRUNCATE removes every row of the table.', 'use DELETE with a WHERE clause, or relax the repo policy (sql-rules: truncate)');
  } else if (info.class === 'ddl') {
    rule(rules.ddl, 'sql-ddl', `${info.kind} changes the schema.`, 'make sure this is intended; the repo policy (sql-rules: ddl) sets this level');
  }
  return found;
}

/** Why a statement's effect on rows cannot be counted by the server, or undefined when it can. */
function uncountableReason({ info, nodeName, node }: ParsedStatement): string | undefined {
  if (nodeName === 'DoStmt') return 'DO runs procedural code: reviewers cannot see from the plan what it changes, and it can act beyond table rows';
  if (nodeName === 'CallStmt') return 'CALL runs a stored procedure: reviewers cannot see from the plan what it changes, and it can act beyond table rows';
  if (nodeName === 'CopyStmt' && node.is_program) return 'COPY ... PROGRAM runs a shell command on the database server, outside anything opsgate can check or count';
  if (info.kind === 'TRUNCATE') return 'TRUNCATE removes rows without the server counting them as deleted';
  if (info.kind.startsWith('DROP ')) return `${info.kind} removes data without the server counting it as deleted rows`;
  if (nodeName === 'VariableSetStmt' && node.name === 'track_counts') return 'SET track_counts changes the statistics opsgate counts changed rows with';
  return undefined;
}

/** Rules that keep delivery and the max-affected-rows check sound (not policy: always on). */
function deliveryDiagnostics(statement: ParsedStatement, step: SqlStep, at: At): Diagnostic[] {
  const { info, nodeName, node } = statement;
  const found: Diagnostic[] = [];
  if (nodeName === 'CopyStmt' && node.is_from && !node.filename && !node.is_program) {
    found.push(at(info.byteStart, 'error', 'sql-copy-from-stdin', 'COPY ... FROM STDIN would read the rest of the step as data: a SQL step has no separate input.', 'use INSERT ... VALUES, or COPY FROM a file on the database server'));
  }
  const reason = uncountableReason(statement);
  const limited = step.maxAffectedRows !== undefined;
  const alwaysReported = nodeName === 'DoStmt' || nodeName === 'CallStmt' || nodeName === 'CopyStmt';
  if (reason && (limited || alwaysReported)) {
    found.push(limited
      ? at(info.byteStart, 'error', 'sql-uncountable', `${reason}, so expect.max-affected-rows cannot be enforced for this step.`, 'write the change as plain INSERT/UPDATE/DELETE/MERGE statements, or move this statement to a step without expect.max-affected-rows')
      : at(info.byteStart, 'warning', 'sql-uncountable', `${reason}.`, 'prefer plain INSERT/UPDATE/DELETE/MERGE statements that reviewers can read'));
  }
  if (info.class === 'transaction' && step.transaction && !info.kind.includes('SAVEPOINT')) {
    found.push(at(info.byteStart, 'error', 'sql-explicit-transaction', `${info.kind} inside a step that runs in a transaction: opsgate already wraps the step's SQL in BEGIN ... COMMIT.`, 'remove the statement, or set `transaction: false` on the step to manage transactions yourself'));
  }
  return found;
}
