// Names and classes for PostgreSQL parse-tree statements, as a reviewer reads them ("UPDATE", "DROP TABLE").
import type { StatementClass } from './lint-sql.js';
import { statementEffects, type StatementEffects } from './sql-effects.js';

export interface Classified {
  class: StatementClass;
  kind: string;
}

const DML: Record<string, string> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};

const TRANSACTION_KINDS: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE SAVEPOINT',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** Statement types that change the schema or privileges but are not named Create/Alter/Drop. */
const OTHER_DDL = new Set(['IndexStmt', 'RenameStmt', 'GrantStmt', 'GrantRoleStmt', 'CommentStmt', 'DefineStmt', 'ViewStmt', 'CompositeTypeStmt', 'RuleStmt', 'ReindexStmt', 'ClusterStmt', 'SecLabelStmt']);

/** "DropStmt" with removeType OBJECT_MATERIALIZED_VIEW → "DROP MATERIALIZED VIEW". */
function objectWords(objectType: unknown): string {
  return typeof objectType === 'string' ? objectType.replace(/^OBJECT_/, '').replace(/_/g, ' ') : '';
}

/** "AlterTableStmt" → "ALTER TABLE"; "CreateFunctionStmt" → "CREATE FUNCTION". */
function wordsOfNodeName(nodeName: string): string {
  return nodeName
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/**
 * A statement that changes data anywhere in its tree is DML, whatever its top node: `WITH d AS (DELETE ...)
 * SELECT` reads "SELECT with DELETE", `EXPLAIN ANALYZE DELETE` stays DML because ANALYZE executes it.
 */
export function classifyStatement(nodeName: string, node: Record<string, unknown>, effects: StatementEffects = statementEffects(nodeName, node)): Classified {
  const top = classifyTopNode(nodeName, node);
  const nested = [...new Set(effects.dml.filter((d) => d.runsNow && !d.topLevel).map((d) => d.kind))];
  if (nodeName === 'ExplainStmt') {
    if (!effects.explainAnalyze) return top;
    const inner = effects.dml.find((d) => d.runsNow);
    return inner ? { class: 'dml', kind: `EXPLAIN ANALYZE ${inner.kind}` } : { class: 'read', kind: 'EXPLAIN ANALYZE' };
  }
  if (!nested.length) return top;
  const extra = nested.filter((kind) => kind !== top.kind);
  return { class: top.class === 'ddl' ? 'ddl' : 'dml', kind: extra.length ? `${top.kind} with ${extra.join(', ')}` : top.kind };
}

function classifyTopNode(nodeName: string, node: Record<string, unknown>): Classified {
  if (nodeName === 'CopyStmt') return node.is_from ? { class: 'dml', kind: 'COPY FROM' } : { class: 'read', kind: 'COPY TO' };
  const dml = DML[nodeName];
  if (dml) return { class: 'dml', kind: dml };
  if (nodeName === 'SelectStmt') return node.intoClause ? { class: 'ddl', kind: 'SELECT INTO' } : { class: 'read', kind: 'SELECT' };
  if (nodeName === 'ExplainStmt') return { class: 'read', kind: 'EXPLAIN' };
  if (nodeName === 'DoStmt') return { class: 'other', kind: 'DO' };
  if (nodeName === 'CallStmt') return { class: 'other', kind: 'CALL' };
  if (nodeName === 'TransactionStmt') return { class: 'transaction', kind: TRANSACTION_KINDS[String(node.kind)] ?? 'TRANSACTION' };
  if (nodeName === 'TruncateStmt') return { class: 'ddl', kind: 'TRUNCATE' };
  if (nodeName === 'DropStmt') return { class: 'ddl', kind: `DROP ${objectWords(node.removeType)}`.trim() };
  if (nodeName === 'CreateTableAsStmt') return { class: 'ddl', kind: `CREATE ${objectWords(node.objtype) || 'TABLE'} AS` };
  if (nodeName === 'IndexStmt') return { class: 'ddl', kind: 'CREATE INDEX' };
  if (nodeName === 'CreateStmt') return { class: 'ddl', kind: 'CREATE TABLE' };
  if (nodeName === 'ViewStmt') return { class: 'ddl', kind: 'CREATE VIEW' };
  if (nodeName === 'RenameStmt') return { class: 'ddl', kind: `ALTER ${objectWords(node.renameType)} RENAME`.replace(/\s+/g, ' ') };
  if (nodeName === 'AlterTableStmt') return { class: 'ddl', kind: `ALTER ${objectWords(node.objtype) || 'TABLE'}` };
  if (/^(Create|Alter|Drop)/.test(nodeName) || OTHER_DDL.has(nodeName)) return { class: 'ddl', kind: wordsOfNodeName(nodeName) };
  if (nodeName === 'VariableSetStmt') return { class: 'other', kind: 'SET' };
  return { class: 'other', kind: wordsOfNodeName(nodeName) };
}
