// Runs one gated runbook: resolves the executor, opens its audit transcript, hands both to the step
// orchestrator (src/run/orchestrator.ts), and turns its result into the report's step rows.
import { AuditUnavailableError, type AuditLocation, type AuditLog, type RunIdentity, type RunStartedInfo } from '../ports/audit.js';
import type { ResolvedTarget, StepExecutor } from '../ports/executor.js';
import type { Reporter } from '../ports/reporter.js';
import { runSteps, type ProgressEvent } from '../run/orchestrator.js';
import { createRedactor } from '../run/redaction.js';
import type { RunResult } from '../run/results.js';
import type { PullRequestInfo } from '../ports/github.js';
import type { CheckedRunbook } from '../runbook/check.js';
import type { RepoConfig } from '../runbook/model.js';
import type { ApprovalDecision } from '../policy/approvals.js';
import { RefusalError, refuse, unexpected, type Outcome, type ReasonCode } from '../run/outcome.js';
import { errorText } from '../run/error-text.js';
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
  /** Called once the executor has resolved the target, before step 1 (Slack's "started"). Awaited before returning. */
  onStarted?(target: ResolvedTarget): Promise<void>;
}

export interface Executed {
  outcome: Outcome;
  steps: StepReport[];
  audit?: AuditLocation;
}

/** A config problem the user fixes (RefusalError) stays a refusal; anything else is an outage or a bug. */
export function failureOf(error: unknown, outageCode: ReasonCode, what: string, file?: string): Outcome {
  if (error instanceof RefusalError) return refuse(error.reasonCode, `${file ? `${file}: ` : ''}${error.message} Nothing ran.`);
  const why = error instanceof AuditUnavailableError ? error.message : `${what}: ${errorText(error)}`;
  return unexpected(outageCode, `${why} Nothing ran.`);
}

export async function executeRunbook(input: ExecuteInput): Promise<Executed> {
  const { checked, config, deps } = input;
  const path = checked.runbook.path;
  const target = config.targets[checked.runbook.target];
  if (!target) return { outcome: refuse('invalid-runbook', `${path}: target "${checked.runbook.target}" is not in ${config.path}. Nothing ran.`), steps: [] };
  let executor: StepExecutor;
  try {
    executor = deps.executors(target);
  } catch (error) {
    // A kind this build cannot run is a RefusalError (the config's to fix); a builder that fails is an outage.
    return { outcome: failureOf(error, 'executor-unavailable', `${path}: no executor for target "${target.name}"`, path), steps: [] };
  }
  let audit: AuditLog;
  try {
    audit = input.sinks.open(input.identity);
  } catch (error) {
    await executor.dispose().catch(() => undefined);
    return { outcome: failureOf(error, 'audit-unavailable', `${path}: cannot open the audit transcript`), steps: [] };
  }
  let started: Promise<void> | undefined;
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
    onProgress: (event) => {
      if (event.kind === 'run-started') started = input.onStarted?.(event.target).catch(() => undefined);
      logProgress(deps.reporter, event);
    },
    ...(deps.cancelGraceMs !== undefined ? { cancelGraceMs: deps.cancelGraceMs } : {}),
    ...(deps.stepEnv ? { env: deps.stepEnv } : {}),
  });
  await started;
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
    ...(s.perTarget ? { perTarget: s.perTarget } : {}),
  }));
}
