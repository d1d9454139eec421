// The plan: what will happen on merge, per runbook, resolved against the repo config. Pure: built from the
// checked runbooks, the config and the approval decisions fetched by the PR phase.
import type { Diagnostic } from '../runbook/diagnostics.js';
import type { RepoConfig, Runbook, Step, Target } from '../runbook/model.js';
import type { SqlStatementInfo, StatementClass } from '../runbook/lint-sql.js';
import type { CheckResult } from '../runbook/check.js';
import type { ReasonCode } from '../run/outcome.js';

/** Shown in the plan comment's footer; a unit test keeps it equal to package.json's version. */
export const OPSGATE_VERSION = '0.1.0';

export interface PlannedStep {
  index: number;
  name: string;
  kind: Step['kind'];
  /** SQL text or shell script exactly as it will run. */
  body: string;
  /** Shell steps: the directory the script runs in (on the target), when the runbook sets one. */
  workingDirectory?: string;
  database?: string;
  timeoutSeconds: number;
  continueOnError: boolean;
  transaction?: boolean;
  maxAffectedRows?: number;
  statements: { class: StatementClass; kind: string }[];
}

export interface PlannedWindow {
  notBeforeUtc?: string;
  notAfterUtc?: string;
  notBefore?: string;
  notAfter?: string;
}

export interface RunbookPlan {
  path: string;
  status: 'valid' | 'invalid' | 'deleted';
  title?: string;
  ticket?: string;
  description?: string;
  target?: Target;
  targetName?: string;
  steps: PlannedStep[];
  window?: PlannedWindow;
  digest?: string;
  diagnostics: Diagnostic[];
  /** The approval decision (src/policy/approvals.ts) for this runbook at the planned head. */
  approval?: {
    approved: boolean;
    /** "1 of 2: needs one more from @acme/dba", or why it was not evaluated. */
    summary: string;
    reasonCode?: ReasonCode;
    /** The full explanation (what is missing and how to get it). */
    message?: string;
    /** Logins whose approvals counted. */
    approvers?: string[];
  };
}

/** A note above the runbooks: why nothing was planned (PR too large), or which rules apply. */
export interface PlanNotice {
  kind: 'caution' | 'note';
  text: string;
}

export interface Plan {
  headSha: string;
  pullRequest?: number;
  runbooks: RunbookPlan[];
  /** Problems with the repo config (when it changed in this PR, or could not be loaded). */
  configDiagnostics: Diagnostic[];
  configPath: string;
  /** "https://github.com/owner/repo": problems then link to their line at the planned head. */
  repositoryUrl?: string;
  /** The workflow run that wrote this plan (linked in the footer). */
  runUrl?: string;
  notices?: PlanNotice[];
}

/** "https://github.com/acme/ops" from a pull request's html_url. */
export function repositoryUrlOf(pullRequestUrl: string): string | undefined {
  return /^(https?:\/\/[^/]+\/[^/]+\/[^/]+)\/pull\/\d+/.exec(pullRequestUrl)?.[1];
}

function toUtc(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function planWindow(runbook: Runbook): PlannedWindow | undefined {
  const w = runbook.window;
  if (!w || (!w.notBefore && !w.notAfter)) return undefined;
  return { notBefore: w.notBefore, notAfter: w.notAfter, notBeforeUtc: toUtc(w.notBefore), notAfterUtc: toUtc(w.notAfter) };
}

export function planStep(step: Step, statements: readonly SqlStatementInfo[] = []): PlannedStep {
  const common = { index: step.index, name: step.name, timeoutSeconds: step.timeoutSeconds, continueOnError: step.continueOnError };
  if (step.kind === 'shell') {
    return { ...common, kind: 'shell', body: step.run, ...(step.workingDirectory ? { workingDirectory: step.workingDirectory } : {}), statements: [] };
  }
  return {
    ...common,
    kind: 'sql',
    body: step.sql,
    database: step.database,
    transaction: step.transaction,
    ...(step.maxAffectedRows !== undefined ? { maxAffectedRows: step.maxAffectedRows } : {}),
    statements: statements.map((s) => ({ class: s.class, kind: s.kind })),
  };
}

export function planRunbook(check: CheckResult, config: RepoConfig | undefined): RunbookPlan {
  const checked = check.checked;
  if (!checked) return { path: check.file, status: 'invalid', steps: [], diagnostics: check.diagnostics };
  const rb = checked.runbook;
  return {
    path: check.file,
    status: 'valid',
    title: rb.title,
    ticket: rb.ticket,
    description: rb.description,
    targetName: rb.target,
    target: config?.targets[rb.target],
    steps: rb.steps.map((s) => planStep(s, checked.sqlStatements.get(s.index))),
    window: planWindow(rb),
    digest: checked.digest,
    diagnostics: check.diagnostics,
  };
}

export function deletedRunbook(path: string): RunbookPlan {
  return { path, status: 'deleted', steps: [], diagnostics: [] };
}
