// What one parsed PostgreSQL statement does to data, found by walking the whole parse tree (libpg-query
// JSON), not only its top node: `WITH d AS (DELETE ...) SELECT`, `EXPLAIN ANALYZE UPDATE`, `PREPARE p AS
// DELETE` and SQL-standard function bodies all hold data-changing statements below the top. The walk is
// iterative, so a deeply nested expression cannot overflow the stack.

export type DmlKind = 'INSERT' | 'UPDATE' | 'DELETE' | 'MERGE';

const DML_NODES: Record<string, DmlKind> = { InsertStmt: 'INSERT', UpdateStmt: 'UPDATE', DeleteStmt: 'DELETE', MergeStmt: 'MERGE' };

/** Statements below which nothing runs now (it is stored to run later, or only planned). */
const DEFERRED = new Set(['PrepareStmt', 'CreateFunctionStmt', 'RuleStmt', 'CreateTrigStmt', 'DeclareCursorStmt']);

export interface DmlNode {
  kind: DmlKind;
  node: Record<string, unknown>;
  /** The statement's own top node (the position diagnostics use is then the statement's start). */
  topLevel: boolean;
  /** Runs when this statement runs (false inside PREPARE, function bodies, rules). */
  runsNow: boolean;
  /** Byte offset of the target table's name, when the tree has it. */
  byteOffset?: number;
}

export interface StatementEffects {
  /** Every INSERT/UPDATE/DELETE/MERGE in the tree, except under a plain EXPLAIN (never executed). */
  dml: DmlNode[];
  /** True for EXPLAIN with ANALYZE (it executes the statement). */
  explainAnalyze: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** EXPLAIN (ANALYZE), EXPLAIN ANALYZE, EXPLAIN (ANALYZE true|on|1) execute; ANALYZE false|off|0 does not. */
export function explainExecutes(explain: Json): boolean {
  const options = Array.isArray(explain.options) ? explain.options : [];
  return options.some((option) => {
    const def = isObject(option) ? (option.DefElem as Json | undefined) : undefined;
    if (!def || def.defname !== 'analyze') return false;
    const arg = isObject(def.arg) ? def.arg : undefined;
    if (!arg) return true;
    const value = isObject(arg.String) ? arg.String.sval : isObject(arg.Integer) ? arg.Integer.ival : isObject(arg.Boolean) ? arg.Boolean.boolval : undefined;
    return !['false', 'off', '0', 'no', 0, false, undefined].includes(value as string | number | boolean | undefined);
  });
}

function relationOffset(node: Json): number | undefined {
  const relation = isObject(node.relation) ? node.relation : undefined;
  return typeof relation?.location === 'number' ? relation.location : undefined;
}

/** Walks `{ NodeName: fields }` of one top-level statement. */
export function statementEffects(nodeName: string, node: Json): StatementEffects {
  const effects: StatementEffects = { dml: [], explainAnalyze: nodeName === 'ExplainStmt' && explainExecutes(node) };
  const stack: { value: unknown; runsNow: boolean; top: boolean }[] = [{ value: { [nodeName]: node }, runsNow: true, top: true }];
  while (stack.length) {
    const { value, runsNow, top } = stack.pop()!;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, runsNow, top: false });
      continue;
    }
    if (!isObject(value)) continue;
    for (const [key, child] of Object.entries(value)) {
      if (!isObject(child) && !Array.isArray(child)) continue;
      if (key === 'ExplainStmt' && isObject(child) && !explainExecutes(child)) continue;
      const kind = DML_NODES[key];
      if (kind && isObject(child)) {
        const offset = relationOffset(child);
        effects.dml.push({ kind, node: child, topLevel: top, runsNow, ...(offset !== undefined ? { byteOffset: offset } : {}) });
      }
      stack.push({ value: child, runsNow: runsNow && !DEFERRED.has(key), top: false });
    }
  }
  return effects;
}
