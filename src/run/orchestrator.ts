// Runs a checked runbook's steps in order through the ports only: the executor runs each step, the audit log
// records everything (redacted) before it counts as done, and the caller sees progress as it happens.
//
// Order: run.started (audit unavailable → nothing runs) → executor.prepare → target.resolved → per step: step.started,
// streamed output, flush, step.finished → run.finished → flush. The executor is always disposed.
// A failed audit write aborts the step in flight: opsgate never runs production work it cannot record.
import type { CheckedRunbook } from '../runbook/check.js';
import type { RepoConfig, Step } from '../runbook/model.js';
import type { OutputStream, ResolvedTarget, StepExecutor, StepResult } from '../ports/executor.js';
import { AuditUnavailableError, type AuditLog, type RunIdentity, type RunStartedInfo } from '../ports/audit.js';
import type { Clock } from '../ports/clock.js';
import { refuse, proceed, unexpected, type Outcome } from './outcome.js';
import { noRedaction, type Redactor } from './redaction.js';
import { formatBytes, TailBuffer, type RunResult, type StepRunResult } from './results.js';
import { formatDuration } from '../policy/window.js';

export type ProgressEvent =
  | { kind: 'run-started'; title: string; target: ResolvedTarget; steps: number }
  | { kind: 'step-started'; index: number; name: string; stepKind: 'shell' | 'sql'; command: string }
  | { kind: 'output'; index: number; stream: OutputStream; text: string }
  | { kind: 'heartbeat'; index: number; name: string; elapsedMs: number; outputBytes: number; line: string }
  | { kind: 'step-finished'; step: StepRunResult }
  | { kind: 'note'; message: string };

export interface RunStepsInput {
  checked: CheckedRunbook;
  config: RepoConfig;
  executor: StepExecutor;
  audit: AuditLog;
  identity: RunIdentity;
  /** run.started details; what executor.prepare() resolves goes into its own target.resolved event. */
  startedInfo: RunStartedInfo;
  clock: Clock;
  signal?: AbortSignal;
  redactor?: Redactor;
  onProgress?: (event: ProgressEvent) => void;
  /** Environment for steps (local executor only). */
  env?: Record<string, string>;
  /** Milliseconds of silence before a heartbeat line (default 30 s). */
  heartbeatMs?: number;
  /** Lines of output kept per step for the comment (default 20). */
  tailLines?: number;
  /** Extra time after a step's own timeout before opsgate aborts it itself (default 30 s). */
  timeoutGraceMs?: number;
  /** How long to wait for the executor to confirm an abort before recording the step as stopped (default 3 s). */
  cancelGraceMs?: number;
}

class AuditFailure extends Error {}

export async function runSteps(input: RunStepsInput): Promise<RunResult> {
  const { checked, executor, audit, clock } = input;
  const redactor = input.redactor ?? noRedaction;
  const signal = input.signal ?? new AbortController().signal;
  // A broken progress printer must never stop a step or the audit trail.
  const progress = (event: ProgressEvent) => {
    try {
      input.onProgress?.(event);
    } catch {
      // ignored on purpose
    }
  };
  const startedAt = clock.now().toISOString();
  const steps = checked.runbook.steps;
  const results: StepRunResult[] = [];
  const finish = (outcome: Outcome, target?: ResolvedTarget): RunResult => ({
    outcome,
    steps: [...results, ...steps.slice(results.length).map((s) => skipped(s))],
    ...(target ? { target } : {}),
    audit: audit.location,
    startedAt,
    finishedAt: clock.now().toISOString(),
  });

  try {
    // The run is recorded before anything can touch the target.
    try {
      await audit.runStarted(input.identity, input.startedInfo);
    } catch (error) {
      return finish(refuse('audit-unavailable', `The audit log (${audit.location.description}) could not record the start of the run, so nothing ran: ${errorText(error)}`));
    }

    let target: ResolvedTarget;
    try {
      target = await executor.prepare(signal);
    } catch (error) {
      const outcome = signal.aborted
        ? refuse('cancelled', 'The run was cancelled before any step started.')
        : unexpected('executor-unavailable', `Could not prepare target "${checked.runbook.target}", so nothing ran: ${errorText(error)}`);
      return finish(await closeRun(audit, outcome), undefined);
    }
    // The instances or task the steps will touch are on record before the first step runs.
    try {
      await audit.targetResolved(target);
    } catch (error) {
      return finish(await closeRunQuietly(audit, refuse('audit-unavailable', `The audit log (${audit.location.description}) could not record the resolved target, so nothing ran: ${errorText(error)}`)), target);
    }
    progress({ kind: 'run-started', title: checked.runbook.title, target, steps: steps.length });

    let outcome: Outcome | null = null;
    let tolerated = 0;
    for (const step of steps) {
      if (signal.aborted) {
        outcome = refuse('cancelled', `The run was cancelled before step ${step.index + 1} "${step.name}" started; it and later steps did not run.`);
        break;
      }
      let result: StepRunResult;
      try {
        const { auditError, ...stepResult } = await runOneStep(step, input, redactor, signal, progress);
        result = stepResult;
        results.push(result);
        progress({ kind: 'step-finished', step: result });
        if (auditError) throw new AuditFailure(errorText(auditError));
      } catch (error) {
        outcome = auditLost(audit, step, error);
        break;
      }
      if (result.status === 'succeeded') continue;
      if (result.status === 'cancelled' && signal.aborted) {
        outcome = refuse('cancelled', `The run was cancelled during step ${step.index + 1} "${step.name}"; the step was stopped and later steps did not run.`);
        break;
      }
      if (step.continueOnError) {
        tolerated++;
        continue;
      }
      outcome = stepFailure(step, result);
      break;
    }
    const finalOutcome =
      outcome ??
      proceed(
        'ok',
        `All ${steps.length} step${steps.length === 1 ? '' : 's'} of "${checked.runbook.title}" finished` +
          (tolerated ? ` (${tolerated} failed with continue-on-error)` : ' successfully') +
          '.',
      );
    return finish(outcome?.reasonCode === 'audit-unavailable' ? await closeRunQuietly(audit, finalOutcome) : await closeRun(audit, finalOutcome), target);
  } finally {
    try {
      await executor.dispose();
    } catch (error) {
      progress({ kind: 'note', message: `Could not release the target cleanly: ${errorText(error)}` });
    }
  }
}

type StepOutcome = StepRunResult & { auditError?: unknown };

async function runOneStep(
  step: Step,
  input: RunStepsInput,
  redactor: Redactor,
  runSignal: AbortSignal,
  progress: (event: ProgressEvent) => void,
): Promise<StepOutcome> {
  const { audit, clock } = input;
  const command = redactor.redact(step.kind === 'sql' ? step.sql : step.run);
  try {
    await audit.stepStarted({ index: step.index, name: step.name, kind: step.kind, command });
  } catch (error) {
    throw new AuditFailure(errorText(error), { cause: error });
  }
  progress({ kind: 'step-started', index: step.index, name: step.name, stepKind: step.kind, command });

  const stepAbort = new AbortController();
  const onRunAbort = () => stepAbort.abort(runSignal.reason);
  if (runSignal.aborted) stepAbort.abort(runSignal.reason);
  else runSignal.addEventListener('abort', onRunAbort, { once: true });

  const redactors = { stdout: redactor.stream(), stderr: redactor.stream() };
  const tail = new TailBuffer(input.tailLines ?? 20);
  let outputBytes = 0;
  let auditError: unknown;
  let lastActivity = clock.now().getTime();
  const started = lastActivity;

  const emit = async (stream: OutputStream, bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    tail.push(bytes);
    progress({ kind: 'output', index: step.index, stream, text: Buffer.from(bytes).toString('utf8') });
    try {
      await audit.stepOutput(step.index, stream, bytes);
    } catch (error) {
      auditError ??= error;
      stepAbort.abort(new AuditFailure(errorText(error)));
      throw error;
    }
  };

  const heartbeat = startHeartbeat(clock, input.heartbeatMs ?? 30_000, () => {
    const now = clock.now().getTime();
    if (now - lastActivity < (input.heartbeatMs ?? 30_000)) return;
    lastActivity = now;
    const line = `step '${step.name}' still running, ${formatDuration(now - started)}, ${formatBytes(outputBytes)} output`;
    progress({ kind: 'heartbeat', index: step.index, name: step.name, elapsedMs: now - started, outputBytes, line });
  });

  // Safety nets around the executor: its own timeout should fire first; if it does not, stop the step a
  // little later. After an abort, wait only a short grace for the executor to confirm, so a cancelled job
  // still records its end within the runner's SIGINT→SIGTERM window.
  const timeoutMs = step.timeoutSeconds * 1000 + (input.timeoutGraceMs ?? 30_000);
  let timedOut = false;
  let abandoned = false;
  const watchdog = new AbortController();
  const onTimeout = clock.sleep(timeoutMs, watchdog.signal).then(
    () => {
      timedOut = true;
      stepAbort.abort(new Error(`step timed out after ${step.timeoutSeconds}s`));
    },
    () => {},
  );
  const giveUp = new Promise<StepResult>((resolve) => {
    const onAbort = () =>
      void clock.sleep(input.cancelGraceMs ?? 3_000, watchdog.signal).then(
        () => {
          abandoned = true;
          resolve({
            status: timedOut ? 'timed-out' : 'cancelled',
            exitCode: null,
            message: `the executor did not confirm that the step stopped within ${formatDuration(input.cancelGraceMs ?? 3_000)}; it may still be running on the target`,
          });
        },
        () => {},
      );
    if (stepAbort.signal.aborted) onAbort();
    else stepAbort.signal.addEventListener('abort', onAbort, { once: true });
  });

  let result: StepResult;
  try {
    const running = input.executor.runStep(step, {
      runId: input.identity.runId,
      origin: { repository: input.identity.repository, pullRequest: input.identity.pullRequest },
      ...(step.kind === 'sql' ? { database: input.config.databases[step.database] } : {}),
      signal: stepAbort.signal,
      ...(input.env ? { env: input.env } : {}),
      onOutput: async (stream, chunk) => {
        if (auditError) throw auditError;
        if (abandoned) throw new Error('the step was abandoned after cancellation');
        outputBytes += chunk.length;
        lastActivity = clock.now().getTime();
        await emit(stream, redactors[stream].push(chunk));
      },
    });
    // If the step is abandoned, a late failure of `running` must not surface as an unhandled rejection.
    running.catch(() => {});
    result = await Promise.race([running, giveUp]);
  } catch (error) {
    result = { status: stepAbort.signal.aborted ? 'cancelled' : 'error', exitCode: null, message: `the executor failed: ${errorText(error)}` };
  } finally {
    watchdog.abort();
    await onTimeout;
    heartbeat.stop();
    runSignal.removeEventListener('abort', onRunAbort);
  }
  if (timedOut && result.status === 'cancelled') {
    result = { ...result, status: 'timed-out', message: `stopped by opsgate after the ${step.timeoutSeconds}s timeout (${result.message})` };
  }
  if (auditError && result.status !== 'cancelled') {
    result = { ...result, status: 'cancelled', message: `stopped because the audit log failed (${result.message})` };
  }

  const durationMs = clock.now().getTime() - started;
  if (auditError) {
    // Best effort: a fallback transcript kept by the audit log should still show how the step ended.
    await audit.stepFinished({ index: step.index, name: step.name, result: { ...result, message: redactor.redact(result.message) }, durationMs }).catch(() => {});
  } else {
    try {
      for (const stream of ['stdout', 'stderr'] as const) await emit(stream, redactors[stream].end());
      await audit.stepFinished({ index: step.index, name: step.name, result: { ...result, message: redactor.redact(result.message) }, durationMs });
      await audit.flush();
    } catch (error) {
      auditError = error;
    }
  }
  const { tail: lines, truncated } = tail.lines();
  return {
    index: step.index,
    name: step.name,
    kind: step.kind,
    status: result.status,
    exitCode: result.exitCode,
    message: redactor.redact(result.message),
    durationMs,
    outputBytes,
    tail: lines,
    tailTruncated: truncated,
    continueOnError: step.continueOnError,
    ...(result.perTarget ? { perTarget: result.perTarget.map((t) => ({ ...t, message: redactor.redact(t.message) })) } : {}),
    ...(auditError ? { auditError } : {}),
  };
}

/** Calls `tick` every `intervalMs` until stopped; uses the injected clock so tests control time. */
function startHeartbeat(clock: Clock, intervalMs: number, tick: () => void): { stop(): void } {
  const stopper = new AbortController();
  void (async () => {
    while (!stopper.signal.aborted) {
      try {
        await clock.sleep(Math.min(intervalMs, 5_000), stopper.signal);
      } catch {
        return;
      }
      if (!stopper.signal.aborted) tick();
    }
  })();
  return { stop: () => stopper.abort() };
}

function stepFailure(step: Step, result: StepRunResult): Outcome {
  const where = `step ${step.index + 1} "${step.name}"`;
  if (result.status === 'timed-out')
    return refuse('step-timed-out', `${where} ran longer than its ${step.timeoutSeconds}s timeout and was stopped; later steps did not run.`);
  return refuse('step-failed', `${where} failed (${result.message}); later steps did not run.`);
}

function auditLost(audit: AuditLog, step: Step, error: unknown): Outcome {
  return unexpected(
    'audit-unavailable',
    `The audit log (${audit.location.description}) stopped accepting the transcript during step ${step.index + 1} "${step.name}", so the step was stopped and later steps did not run: ${errorText(error)}`,
  );
}

async function closeRun(audit: AuditLog, outcome: Outcome): Promise<Outcome> {
  try {
    await audit.runFinished({ outcome: outcome.decision, reasonCode: outcome.reasonCode, message: outcome.message });
    await audit.flush();
    return outcome;
  } catch (error) {
    return unexpected(
      'audit-unavailable',
      `${outcome.message} But the audit log (${audit.location.description}) could not record the end of the run: ${errorText(error)}`,
    );
  }
}

/** After an audit failure: try to record the end anyway, keep the audit-unavailable outcome whatever happens. */
async function closeRunQuietly(audit: AuditLog, outcome: Outcome): Promise<Outcome> {
  try {
    await audit.runFinished({ outcome: outcome.decision, reasonCode: outcome.reasonCode, message: outcome.message });
    await audit.flush();
  } catch {
    // Already reported as audit-unavailable.
  }
  return outcome;
}

function skipped(step: Step): StepRunResult {
  return {
    index: step.index,
    name: step.name,
    kind: step.kind,
    status: 'skipped',
    exitCode: null,
    message: 'did not run',
    durationMs: 0,
    outputBytes: 0,
    tail: [],
    tailTruncated: false,
    continueOnError: step.continueOnError,
  };
}

function errorText(error: unknown): string {
  if (error instanceof AuditUnavailableError || error instanceof Error) return error.message;
  return String(error);
}
