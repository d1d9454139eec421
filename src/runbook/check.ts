// The one entry point every surface uses to turn a runbook file into a checked runbook: parse, schema,
// references, SQL and shell lint, digest. Never throws on bad input.
import { runbookDigest } from '../plan/digest.js';
import { hasErrors, problem, sortDiagnostics, WHOLE_FILE, type Diagnostic } from './diagnostics.js';
import type { SourceFile } from './load-result.js';
import type { RepoConfig, Runbook, SourceSpan } from './model.js';
import { lintSql, type SqlStatementInfo } from './lint-sql.js';
import { lintShellStep } from './lint-shell.js';
import { loadRunbook } from './load-runbook.js';
import { locatePath, type ParsedYaml } from './parse-yaml.js';
import { referenceDiagnostics } from './references.js';
import { scalarLocator } from './scalar-locate.js';

export interface CheckedRunbook {
  runbook: Runbook;
  /** The exact file text (the digest covers it). */
  text: string;
  /** "sha256:<hex>" from src/plan/digest.ts. */
  digest: string;
  /** Parsed statements per SQL step, keyed by step index. */
  sqlStatements: Map<number, SqlStatementInfo[]>;
}

export interface CheckResult {
  file: string;
  /** Present when there are no error diagnostics (warnings allowed). */
  checked?: CheckedRunbook;
  diagnostics: Diagnostic[];
}

function locatorFor(parsed: ParsedYaml, path: string, value: string): (byteOffset: number) => SourceSpan {
  const scalar = parsed.scalars.get(path);
  if (!scalar) return () => locatePath(parsed, path);
  return scalarLocator(scalar.node, value, parsed.text, parsed.lineCounter);
}

async function lintSteps(runbook: Runbook, config: RepoConfig, parsed: ParsedYaml): Promise<{ diagnostics: Diagnostic[]; statements: Map<number, SqlStatementInfo[]> }> {
  const diagnostics: Diagnostic[] = [];
  const statements = new Map<number, SqlStatementInfo[]>();
  for (const step of runbook.steps) {
    if (step.kind === 'shell') {
      diagnostics.push(...lintShellStep(step, config.policy.denyCommands, runbook.path, locatorFor(parsed, `/steps/${step.index}/run`, step.run)));
      continue;
    }
    const db = config.databases[step.database];
    if (!db) continue;
    const result = await lintSql({ step, engine: db.engine, rules: config.policy.sqlRules, file: runbook.path, locate: locatorFor(parsed, `/steps/${step.index}/sql`, step.sql) });
    diagnostics.push(...result.diagnostics);
    statements.set(step.index, result.statements);
  }
  return { diagnostics, statements };
}

/** Checks one runbook file against the repo config. Bytes are checked for size, NUL and UTF-8 first. */
export async function checkRunbook(source: SourceFile, config: RepoConfig): Promise<CheckResult> {
  const path = source.path;
  try {
    const loaded = loadRunbook(source);
    if (!loaded.runbook) return { file: path, diagnostics: sortDiagnostics(loaded.diagnostics) };
    const runbook = loaded.runbook;
    const refs = referenceDiagnostics(runbook, config, loaded.parsed);
    const lint = await lintSteps(runbook, config, loaded.parsed);
    const diagnostics = sortDiagnostics([...refs, ...lint.diagnostics]);
    if (hasErrors(diagnostics)) return { file: path, diagnostics };
    const text = loaded.parsed.text;
    return { file: path, diagnostics, checked: { runbook, text, digest: runbookDigest(text, runbook, config), sqlStatements: lint.statements } };
  } catch (e) {
    // A bug must not look like a valid runbook: fail closed with a diagnostic.
    return { file: path, diagnostics: [problem(path, WHOLE_FILE, 'internal-error', `opsgate could not check this file: ${(e as Error).message}`)] };
  }
}
