// Runbook -> repo config references: target and databases exist, engines are supported, a SQL step's
// database lives on the runbook's target (its client runs there).
import type { Diagnostic } from './diagnostics.js';
import type { RepoConfig, Runbook } from './model.js';
import { locatePath, type ParsedYaml } from './parse-yaml.js';
import { closest } from './schema-check.js';

export function referenceDiagnostics(runbook: Runbook, config: RepoConfig, parsed: ParsedYaml): Diagnostic[] {
  const file = runbook.path;
  const out: Diagnostic[] = [];
  const targets = Object.keys(config.targets);
  if (!config.targets[runbook.target]) {
    const guess = closest(runbook.target, targets);
    out.push({ file, span: locatePath(parsed, '/target'), severity: 'error', code: 'unknown-target',
      message: `target "${runbook.target}" is not defined in ${config.path}${guess ? `; did you mean "${guess}"?` : ''}`,
      fix: guess ? `change it to "${guess}"` : `use one of: ${targets.join(', ') || '(no targets defined)'}` });
  }
  const dbs = Object.keys(config.databases);
  for (const step of runbook.steps) {
    if (step.kind !== 'sql') continue;
    const span = locatePath(parsed, `/steps/${step.index}/database`);
    const db = config.databases[step.database];
    if (!db) {
      const guess = closest(step.database, dbs);
      out.push({ file, span, severity: 'error', code: 'unknown-database',
        message: `database "${step.database}" is not defined in ${config.path}${guess ? `; did you mean "${guess}"?` : ''}`,
        fix: guess ? `change it to "${guess}"` : `use one of: ${dbs.join(', ') || '(no databases defined)'}` });
    } else if (db.target !== runbook.target) {
      out.push({ file, span, severity: 'error', code: 'database-target-mismatch',
        message: `database "${db.name}" is reached from target "${db.target}", but this runbook runs on "${runbook.target}"; a SQL step's client runs on the runbook's target`,
        fix: `set \`target: ${db.target}\` or use a database configured on "${runbook.target}"` });
    }
  }
  return out;
}
