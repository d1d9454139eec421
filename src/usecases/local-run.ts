// `opsgate run --local`: check a runbook, check its window, and run every step on this machine through the
// local executor, whatever target the config names (said out loud), with a JSON-lines transcript. The
// adapters are handed in by the composition root (src/cli/run.ts), so tests drive this with fakes or real ones.
import { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from '../runbook/diagnostics.js';
import type { LoadResult, SourceFile } from '../runbook/load-result.js';
import type { CheckResult } from '../runbook/check.js';
import type { RepoConfig, Runbook, SqlStep } from '../runbook/model.js';
import { stepLabel } from '../runbook/field-names.js';
import type { AuditLog } from '../ports/audit.js';
import type { StepExecutor } from '../ports/executor.js';
import type { Clock } from '../ports/clock.js';
import { evaluateWindow, formatWindow } from '../policy/window.js';
import { runSteps, type ProgressEvent } from '../run/orchestrator.js';
import { createRedactor } from '../run/redaction.js';
import { formatBytes, type RunResult } from '../run/results.js';
import { formatDuration } from '../policy/window.js';

export interface LocalRunTerminal {
  /** A line of opsgate's own text. */
  line(text: string): void;
  /** Step output, as produced (already redacted). */
  output(text: string): void;
}

export interface LocalRunInput {
  runbook: SourceFile;
  config: SourceFile;
  loadRepoConfig(source: SourceFile): LoadResult<RepoConfig>;
  checkRunbook(source: SourceFile, config: RepoConfig): Promise<CheckResult>;
  createExecutor(): StepExecutor;
  /** Built once the runbook is known to be valid (creates the transcript file). */
  createAudit(): AuditLog;
  /** Resolves false when the psql client is not installed. */
  psqlAvailable(): Promise<boolean>;
  clock: Clock;
  signal?: AbortSignal;
  /** Environment for the steps; the values of *_URL, *TOKEN*, *SECRET*, *PASSWORD* variables are masked. */
  env: Record<string, string>;
  terminal: LocalRunTerminal;
  runId: string;
  repository?: string;
  /** Skip the window check (the demo sets it; a real local run honours the window). */
  ignoreWindow?: boolean;
}

export interface LocalRunOutcome {
  /** 0 ok, 1 failed step or refusal, 2 bad input. */
  exitCode: 0 | 1 | 2;
  result?: RunResult;
  diagnostics: Diagnostic[];
}

export async function runLocally(input: LocalRunInput): Promise<LocalRunOutcome> {
  const { terminal } = input;
  const loadedConfig = input.loadRepoConfig(input.config);
  if (!loadedConfig.value || hasErrors(loadedConfig.diagnostics)) return badInput(terminal, loadedConfig.diagnostics, input.config.path);
  const config = loadedConfig.value;

  const check = await input.checkRunbook(input.runbook, config);
  if (!check.checked || hasErrors(check.diagnostics)) return badInput(terminal, check.diagnostics, input.runbook.path);
  printDiagnostics(terminal, check.diagnostics);
  const { runbook } = check.checked;

  const window = evaluateWindow(runbook.window, input.clock.now());
  if (window.reasonCode !== 'ok') {
    if (!input.ignoreWindow) {
      terminal.line(`Refused (${window.reasonCode}): ${runbook.path}: ${window.message}`);
      return { exitCode: 1, diagnostics: check.diagnostics };
    }
    terminal.line(`Note: outside the run window (${window.reasonCode}); running anyway because this is the demo.`);
  }

  const unready = await sqlPreflightProblems(runbook, config, input);
  if (unready.length) {
    for (const line of unready) terminal.line(`Refused: ${line}`);
    terminal.line('Nothing ran.');
    return { exitCode: 1, diagnostics: check.diagnostics };
  }

  const target = config.targets[runbook.target];
  terminal.line(`Running "${runbook.title}" (${runbook.path}) on THIS MACHINE.`);
  if (target && target.kind !== 'local') {
    terminal.line(`  The runbook's target "${runbook.target}" is ${target.kind.toUpperCase()}; --local ignores it and runs every step here.`);
  }
  if (runbook.window) terminal.line(`  Window: ${formatWindow(runbook.window)} (${window.message}).`);

  const audit = input.createAudit();
  const redactor = createRedactor({ secrets: secretValues(input.env), patterns: config.policy.redact });
  const result = await runSteps({
    checked: check.checked,
    config,
    executor: input.createExecutor(),
    audit,
    identity: { repository: input.repository ?? 'local', pullRequest: null, runbookPath: runbook.path, runbookDigest: check.checked.digest, runId: input.runId },
    startedInfo: {
      approvers: [],
      target: { name: 'local', description: 'this machine (opsgate run --local)', members: ['localhost'] },
      ...(runbook.window ? { window: runbook.window } : {}),
      title: runbook.title,
      ...(runbook.ticket ? { ticket: runbook.ticket } : {}),
    },
    clock: input.clock,
    ...(input.signal ? { signal: input.signal } : {}),
    redactor,
    env: input.env,
    onProgress: (event) => printProgress(terminal, event, runbook.steps.length),
  });

  terminal.line('');
  terminal.line(`${result.outcome.decision === 'proceed' ? 'Done' : 'Stopped'} (${result.outcome.reasonCode}): ${result.outcome.message}`);
  terminal.line(`Transcript: ${audit.location.description}`);
  return { exitCode: result.outcome.reasonCode === 'ok' ? 0 : 1, result, diagnostics: check.diagnostics };
}

/**
 * Everything SQL steps need, checked before the first step runs, so a shell step is not run only for a later
 * SQL step to fail: the psql client, a supported engine and each database's URL variable.
 */
async function sqlPreflightProblems(runbook: Runbook, config: RepoConfig, input: LocalRunInput): Promise<string[]> {
  const sqlSteps = runbook.steps.filter((s): s is SqlStep => s.kind === 'sql');
  if (!sqlSteps.length) return [];
  const problems: string[] = [];
  if (!(await input.psqlAvailable())) {
    problems.push('this runbook has SQL steps, and they run through psql, which is not installed. Install the PostgreSQL client (apt-get install postgresql-client, or brew install libpq) and try again.');
  }
  const reported = new Set<string>();
  for (const step of sqlSteps) {
    const database = config.databases[step.database];
    if (!database || reported.has(database.name)) continue;
    reported.add(database.name);
    if (database.engine !== 'postgres') {
      problems.push(`${stepLabel(step.index, step.name)} uses database "${database.name}", whose engine ${database.engine} is not supported yet; opsgate runs PostgreSQL only.`);
    } else if (!input.env[database.urlEnv]) {
      problems.push(`${stepLabel(step.index, step.name)} needs the environment variable ${database.urlEnv} (the connection URL of database "${database.name}"), which is not set. Set it, e.g. export ${database.urlEnv}=postgres://user@host:5432/dbname, and run again.`);
    }
  }
  return problems;
}

/** Values of environment variables that look like credentials or connection strings. */
export function secretValues(env: Record<string, string>): string[] {
  const secretName = /(_URL|_URI|_DSN|TOKEN|SECRET|PASSWORD|PASSWD|_KEY|CREDENTIALS?)$|^PG(PASSWORD|SERVICE)$/i;
  const values = Object.entries(env).filter(([name, value]) => secretName.test(name) && value.length > 0).map(([, value]) => value);
  // A connection URL's password alone is a secret too (it shows up in errors without the URL).
  for (const value of [...values]) {
    try {
      const password = new URL(value).password;
      if (password) values.push(decodeURIComponent(password));
    } catch {
      // not a URL
    }
  }
  return values;
}

function badInput(terminal: LocalRunTerminal, diagnostics: Diagnostic[], path: string): LocalRunOutcome {
  printDiagnostics(terminal, diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  terminal.line(`${path}: ${errors ? `${errors} error${errors === 1 ? '' : 's'}` : 'could not be loaded'}; nothing ran.`);
  return { exitCode: 2, diagnostics };
}

function printDiagnostics(terminal: LocalRunTerminal, diagnostics: Diagnostic[]): void {
  for (const d of sortDiagnostics(diagnostics)) terminal.line(formatDiagnostic(d));
}

function printProgress(terminal: LocalRunTerminal, event: ProgressEvent, total: number): void {
  switch (event.kind) {
    case 'run-started':
      terminal.line(`Target: ${event.target.description}`);
      return;
    case 'step-started':
      terminal.line('');
      terminal.line(`── Step ${event.index + 1}/${total}: ${event.name} (${event.stepKind}) ──`);
      return;
    case 'output':
      terminal.output(event.text);
      return;
    case 'heartbeat':
      terminal.line(`… ${event.line}`);
      return;
    case 'step-finished': {
      const s = event.step;
      const code = s.exitCode === null ? '' : `, exit code ${s.exitCode}`;
      terminal.line(`── ${s.status}${code}, ${durationText(s.durationMs)}, ${formatBytes(s.outputBytes)} output${s.status === 'succeeded' ? '' : `: ${s.message}`}`);
      return;
    }
    case 'note':
      terminal.line(event.message);
  }
}

function durationText(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : formatDuration(ms);
}
