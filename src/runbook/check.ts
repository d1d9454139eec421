// The one entry point every surface uses to turn a runbook file into a checked runbook: parse, schema,
// references, SQL and shell lint, digest. (Contract stub: the foundation work replaces the body.)
import type { Diagnostic } from './diagnostics.js';
import type { SourceFile } from './load-result.js';
import type { RepoConfig, Runbook } from './model.js';
import type { SqlStatementInfo } from './lint-sql.js';

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

export async function checkRunbook(source: SourceFile, _config: RepoConfig): Promise<CheckResult> {
  return { file: source.path, diagnostics: [] };
}
