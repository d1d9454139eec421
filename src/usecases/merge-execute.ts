// Runs one gated runbook: resolves the executor, opens its audit transcript, hands both to the step
// orchestrator (src/run/orchestrator.ts), and turns its result into the report's step rows.
import { AuditUnavailableError, type AuditLocation, type AuditLog, type RunIdentity, type RunStartedInfo } from '../ports/audit.js';
import type { StepExecutor } from '../ports/executor.js';
import type { Reporter } from '../ports/reporter.js';
import { runSteps, type ProgressEvent } from '../run/orchestrator.js';
import { createRedactor } from '../run/redaction.js';
import type { RunResult } from '../run/results.js';
import type { PullRequestInfo } from '../ports/github.js';
import type { CheckedRunbook } from '../runbook/check.js';
import type { RepoConfig } from '../runbook/model.js';
import type { ApprovalDecision } from '../policy/approvals.js';
import { refuse, type Outcome } from '../run/outcome.js';
import type { AuditSinks, MergePhaseDeps } from './merge-phase.js';
import type { StepReport } from './merge-report.js';

export interface ExecuteInput {
  checked: CheckedRunbook;
  config: RepoConfig;
  identity: RunIdentity;
  pr: PullRequestInfo;
  mergeSha: string;
  approval: ApprovalDecision;
  sinks: AuditSinks;
  deps: MergePhaseDeps;
}

export interface Executed {
  outcome: Outcome;
  steps: StepReport[];
  audit?: AuditLocation;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function executeRunbook(input: ExecuteInput): Promise<Executed> {
  const { checked, config, deps } = input;
  const path = checked.runbook.path;
  const target = config.targets[checked.runbook.target];
  if (!target) return { outcome: refuse('invalid-runbook', `${path}: target "${checked.runbook.target}" is not in ${config.path}. Nothing ran.`), steps: [] };
  let executor: StepExecutor;
  try {
    executor = deps.executors(target);
  } catch (error) {
    return { outcome: refuse('executor-unavailable', `${path}: ${errorText(error)} Nothing ran.`), steps: [] };
  }
  let audit: AuditLog;
  try {
    audit = input.sinks.open(input.identity);
  } catch (error) {
    const why = error instanceof AuditUnavailableError ? error.message : `cannot open the audit transcript: ${errorText(error)}`;
    await executor.dispose().catch(() => undefined);
    return { outcome: refuse('audit-unavailable', `${path}: ${why} Nothing ran.`), steps: [] };
  }
  const result = await runSteps({
    checked,
    config,
    executor,
    audit,
    identity: input.identity,
    startedInfo: startedInfo(input),
    clock: deps.clock,
    signal: deps.signal,
    redactor: createRedactor({ secrets: deps.secretValues, patterns: config.policy.redact }),
    onProgress: (event) => logProgress(deps.reporter, event),
    ...(deps.stepEnv ? { env: deps.stepEnv } : {}),
  });
  return { outcome: result.outcome, steps: stepReports(result), audit: result.audit };
}

/** The job log while steps run: headers, output as it arrives (already redacted), heartbeats, results. */
function logProgress(reporter: Reporter, event: ProgressEvent): void {
  switch (event.kind) {
    case 'run-started':
      return reporter.info(`opsgate: running "${event.title}" on ${event.target.description} (${event.steps} steps)`);
    case 'step-started':
      return reporter.info(`── step ${event.index + 1}: ${event.name} (${event.stepKind})`);
    case 'output':
      return reporter.info(event.text.replace(/\r?\n$/, ''));
    case 'heartbeat':
      return reporter.info(`… ${event.line}`);
    case 'step-finished':
      return reporter.info(`── step ${event.step.index + 1} ${event.step.status}${event.step.exitCode === null ? '' : ` (exit code ${event.step.exitCode})`}: ${event.step.message}`);
    case 'note':
      return reporter.info(event.message);
  }
}

function startedInfo(input: ExecuteInput): RunStartedInfo {
  const { runbook } = input.checked;
  return {
    mergeSha: input.mergeSha,
    author: input.pr.author,
    approvers: input.approval.counted.map((c) => ({ login: c.login, reviewId: c.reviewId })),
    target: { name: runbook.target, description: runbook.target, members: [] },
    window: runbook.window,
    workflowRunUrl: input.deps.workflowRunUrl,
    title: runbook.title,
    ticket: runbook.ticket,
  };
}

function stepReports(result: RunResult): StepReport[] {
  return result.steps.map((s) => ({
    index: s.index,
    name: s.name,
    status: s.status === 'skipped' ? 'not-run' : s.status,
    exitCode: s.exitCode,
    durationMs: s.status === 'skipped' ? null : s.durationMs,
    message: s.message,
    outputTail: s.tail,
    outputBytes: s.outputBytes,
  }));
}
