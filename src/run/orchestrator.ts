// Runs a checked runbook's steps in order through the ports only: the executor runs each step, the audit log
// records everything (redacted) before it counts as done, and the caller sees progress as it happens.
//
// Order: run.started (audit unavailable → nothing runs) → executor.prepare → target.resolved, flush → per step:
// step.started, flush, streamed output, step.finished, flush → run.finished, flush. The executor is always disposed.
// These flushes are the transcript's durability points (the AuditLog port leaves them to this caller).
// A failed audit write aborts the step in flight: opsgate never runs production work it cannot record.
import type { CheckedRunbook } from '../runbook/check.js';
import type { RepoConfig, Step } from '../runbook/model.js';
import type { OutputStream, ResolvedTarget, StepContext, StepExecutor, StepResult } from '../ports/executor.js';
import type { AuditLog, RunIdentity, RunStartedInfo } from '../ports/audit.js';
import { MAX_TIMER_MS, type Clock } from '../ports/clock.js';
import { refuse, proceed, unexpected, type Outcome } from './outcome.js';
import { noRedaction, type Redactor, type StreamRedactor } from './redaction.js';
import { formatBytes, TailBuffer, type RunResult, type StepRunResult } from './results.js';
import { errorText } from './error-text.js';
import { formatDuration } from '../policy/window.js';
import { STEP_STOP_MS } from './cancel-budget.js';

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
  /** Extra time after a step's longest legitimate duration before opsgate aborts it itself (default 30 s). */
  timeoutGraceMs?: number;
  /** How long to wait for the executor to confirm an abort before recording the step as stopped (default STEP_STOP_MS). */
  cancelGraceMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 30_000;
const DEFAULT_TIMEOUT_GRACE_MS = 30_000;
const DEFAULT_CANCEL_GRACE_MS = STEP_STOP_MS;

/** What every helper of one run shares. */
interface RunScope {
  input: RunStepsInput;
  redactor: Redactor;
  signal: AbortSignal;
  progress: (event: ProgressEvent) => void;
  results: StepRunResult[];
}

class AuditFailure extends Error {}

export async function runSteps(input: RunStepsInput): Promise<RunResult> {
  const scope: RunScope = {
    input,
    redactor: input.redactor ?? noRedaction,
    signal: input.signal ?? new AbortController().signal,
    progress: safeProgress(input.onProgress),
    results: [],
  };
  const startedAt = input.clock.now().toISOString();
  const finish = (outcome: Outcome, target?: ResolvedTarget): RunResult => ({
    outcome,
    steps: [...scope.results, ...input.checked.runbook.steps.slice(scope.results.length).map(skipped)],
    ...(target ? { target } : {}),
    audit: input.audit.location,
    startedAt,
    finishedAt: input.clock.now().toISOString(),
  });
  try {
    const opened = await openRun(scope);
    if ('notStarted' in opened) return finish(opened.notStarted);
    if ('outcome' in opened) return finish(await closeRun(input.audit, opened.outcome), opened.target);
    scope.progress({ kind: 'run-started', title: input.checked.runbook.title, target: opened.target, steps: input.checked.runbook.steps.length });
    return finish(await closeRun(input.audit, await runStepsInOrder(scope)), opened.target);
  } finally {
    await disposeQuietly(input.executor, scope.progress);
  }
}

/** A broken progress printer must never stop a step or the audit trail. */
function safeProgress(onProgress: RunStepsInput['onProgress']): (event: ProgressEvent) => void {
  return (event) => {
    try {
      onProgress?.(event);
    } catch {
      // ignored on purpose
    }
  };
}

type Opened = { target: ResolvedTarget } | { notStarted: Outcome } | { outcome: Outcome; target?: ResolvedTarget };

/** run.started, then prepare, then target.resolved: the run is on record before anything can touch the target. */
async function openRun({ input, signal }: RunScope): Promise<Opened> {
  const { audit, checked } = input;
  try {
    await audit.runStarted(input.identity, input.startedInfo);
  } catch (error) {
    return { notStarted: unexpected('audit-unavailable', `The audit log (${audit.location.description}) could not record the start of the run, so nothing ran: ${errorText(error)}`) };
  }
  let target: ResolvedTarget;
  try {
    target = await input.executor.prepare(signal);
  } catch (error) {
    const outcome = signal.aborted
      ? refuse('cancelled', 'The run was cancelled before any step started.')
      : unexpected('executor-unavailable', `Could not prepare target "${checked.runbook.target}", so nothing ran: ${errorText(error)}`);
    return { outcome };
  }
  try {
    await audit.targetResolved(target);
    await audit.flush();
  } catch (error) {
    return { outcome: unexpected('audit-unavailable', `The audit log (${audit.location.description}) could not record the resolved target, so nothing ran: ${errorText(error)}`), target };
  }
  return { target };
}

async function runStepsInOrder(scope: RunScope): Promise<Outcome> {
  const { steps, title } = scope.input.checked.runbook;
  let tolerated = 0;
  for (const step of steps) {
    if (scope.signal.aborted) return refuse('cancelled', `The run was cancelled before step ${step.index + 1} "${step.name}" started; it and later steps did not run.`);
    let result: StepRunResult;
    let watchdog: WatchdogStop | undefined;
    try {
      const { auditError, watchdog: stoppedBy, ...stepResult } = await runOneStep(step, scope);
      result = stepResult;
      watchdog = stoppedBy;
      scope.results.push(result);
      scope.progress({ kind: 'step-finished', step: result });
      if (auditError) throw new AuditFailure(errorText(auditError));
    } catch (error) {
      return auditLost(scope.input.audit, step, error);
    }
    const verdict = verdictAfter(step, result, scope.signal, watchdog);
    if (verdict === 'tolerated') tolerated++;
    else if (verdict !== 'next') return verdict;
  }
  const how = tolerated ? ` (${tolerated} failed with continue-on-error)` : ' successfully';
  return proceed('ok', `All ${steps.length} step${steps.length === 1 ? '' : 's'} of "${title}" finished${how}.`);
}

/** Whether the run goes on after a step: on to the next one, on despite a tolerated failure, or it ends. */
function verdictAfter(step: Step, result: StepRunResult, signal: AbortSignal, watchdog: WatchdogStop | undefined): 'next' | 'tolerated' | Outcome {
  if (result.status === 'succeeded') return 'next';
  if (result.status === 'cancelled' && signal.aborted) {
    return refuse('cancelled', `The run was cancelled during step ${step.index + 1} "${step.name}"; the step was stopped and later steps did not run.`);
  }
  if (step.continueOnError) return 'tolerated';
  return stepFailure(step, result, watchdog);
}

/** The limit opsgate's own watchdog enforced when it, not the executor, stopped a step. */
interface WatchdogStop {
  limitMs: number;
  graceMs: number;
  /** True when the limit is the executor's bound (SSM: the rollout over the fleet), not the step's timeout. */
  executorBound: boolean;
}

type StepOutcome = StepRunResult & { auditError?: unknown; watchdog?: WatchdogStop };

async function runOneStep(step: Step, scope: RunScope): Promise<StepOutcome> {
  const { audit } = scope.input;
  const command = scope.redactor.redact(step.kind === 'sql' ? step.sql : step.run);
  try {
    await audit.stepStarted({ index: step.index, name: step.name, kind: step.kind, command });
    // Durable before the step runs: a process killed mid-step must leave "this step started" for the ledger.
    await audit.flush();
  } catch (error) {
    throw new AuditFailure(errorText(error), { cause: error });
  }
  scope.progress({ kind: 'step-started', index: step.index, name: step.name, stepKind: step.kind, command });
  const attempt = new StepAttempt(step, scope);
  const result = await attempt.run();
  await attempt.record(result);
  return attempt.outcome(result);
}

/**
 * One step in flight: its abort signal (linked to the run's), the output it streams, the heartbeat, and two
 * safety nets around the executor — a watchdog past the step's longest legitimate duration, and a short
 * give-up after an abort (STEP_STOP_MS) so a cancelled job still records its end inside the forced-exit deadline.
 */
class StepAttempt {
  private readonly abort = new AbortController();
  private readonly nets = new AbortController();
  private readonly redactors: Record<OutputStream, StreamRedactor>;
  private readonly tail: TailBuffer;
  private readonly startedAt: number;
  private lastActivity: number;
  private outputBytes = 0;
  private auditError: unknown;
  /** Set when the watchdog stopped the step. */
  private timedOut: WatchdogStop | undefined;
  private abandoned = false;
  private durationMs = 0;

  constructor(
    private readonly step: Step,
    private readonly scope: RunScope,
  ) {
    this.redactors = { stdout: scope.redactor.stream(), stderr: scope.redactor.stream() };
    this.tail = new TailBuffer(scope.input.tailLines ?? 20);
    this.startedAt = this.lastActivity = this.now();
  }

  private now(): number {
    return this.scope.input.clock.now().getTime();
  }

  /** The executor's result, or what the safety nets decided when it did not answer in time. */
  async run(): Promise<StepResult> {
    const unlink = linkAbort(this.scope.signal, this.abort);
    const heartbeat = startHeartbeat(this.scope.input.clock, this.scope.input.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, () => this.beat());
    const watchdog = this.startWatchdog();
    let result: StepResult;
    try {
      const running = this.scope.input.executor.runStep(this.step, this.context());
      // If the step is abandoned, a late failure of `running` must not surface as an unhandled rejection.
      running.catch(() => {});
      result = await Promise.race([running, this.giveUp()]);
    } catch (error) {
      result = { status: this.abort.signal.aborted ? 'cancelled' : 'error', exitCode: null, message: `the executor failed: ${errorText(error)}` };
    } finally {
      this.nets.abort();
      await watchdog;
      heartbeat.stop();
      unlink();
    }
    return this.explain(result);
  }

  private context(): StepContext {
    const { input } = this.scope;
    return {
      runId: input.identity.runId,
      origin: { repository: input.identity.repository, pullRequest: input.identity.pullRequest },
      ...(this.step.kind === 'sql' ? { database: input.config.databases[this.step.database] } : {}),
      signal: this.abort.signal,
      ...(input.env ? { env: input.env } : {}),
      onOutput: async (stream, chunk) => {
        if (this.auditError) throw this.auditError;
        if (this.abandoned) throw new Error('the step was abandoned after cancellation');
        this.outputBytes += chunk.length;
        this.lastActivity = this.now();
        await this.emit(stream, this.redactors[stream].push(chunk));
      },
    };
  }

  /** Redacted bytes to the tail, the job log and the audit log; an audit failure aborts the step. */
  private async emit(stream: OutputStream, bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.tail.push(bytes);
    this.scope.progress({ kind: 'output', index: this.step.index, stream, text: Buffer.from(bytes).toString('utf8') });
    try {
      await this.scope.input.audit.stepOutput(this.step.index, stream, bytes);
    } catch (error) {
      this.auditError ??= error;
      this.abort.abort(new AuditFailure(errorText(error)));
      throw error;
    }
  }

  private beat(): void {
    const interval = this.scope.input.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const now = this.now();
    if (now - this.lastActivity < interval) return;
    this.lastActivity = now;
    const elapsedMs = now - this.startedAt;
    const line = `step '${this.step.name}' still running, ${formatDuration(elapsedMs)}, ${formatBytes(this.outputBytes)} output`;
    this.scope.progress({ kind: 'heartbeat', index: this.step.index, name: this.step.name, elapsedMs, outputBytes: this.outputBytes, line });
  }

  /** The longest the step may legitimately take: the executor knows better than the step (SSM rate control). */
  private watchdogLimit(): WatchdogStop {
    const bound = this.scope.input.executor.maxStepDurationMs?.(this.step);
    const graceMs = this.scope.input.timeoutGraceMs ?? DEFAULT_TIMEOUT_GRACE_MS;
    return bound === undefined ? { limitMs: this.step.timeoutSeconds * 1000, graceMs, executorBound: false } : { limitMs: bound, graceMs, executorBound: true };
  }

  /** The executor's own timeout should fire first; if it does not, stop the step a little later. */
  private startWatchdog(): Promise<void> {
    const limit = this.watchdogLimit();
    // An unbounded executor limit (MAX_TIMER_MS) plus the grace must still be one finite wait, never an overflow.
    const ms = Math.min(MAX_TIMER_MS, limit.limitMs + limit.graceMs);
    return this.scope.input.clock.sleep(ms, this.nets.signal).then(
      () => {
        this.timedOut = limit;
        this.abort.abort(new Error(`step ran past ${formatDuration(limit.limitMs)}`));
      },
      () => {},
    );
  }

  /** Resolves a short grace after the step is aborted, in case the executor never confirms the stop. */
  private giveUp(): Promise<StepResult> {
    const graceMs = this.scope.input.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
    return new Promise<StepResult>((resolve) => {
      const wait = () =>
        void this.scope.input.clock.sleep(graceMs, this.nets.signal).then(
          () => {
            this.abandoned = true;
            const message = `the executor did not confirm that the step stopped within ${formatDuration(graceMs)}; it may still be running on the target`;
            resolve({ status: this.timedOut ? 'timed-out' : 'cancelled', exitCode: null, message });
          },
          () => {},
        );
      if (this.abort.signal.aborted) wait();
      else this.abort.signal.addEventListener('abort', wait, { once: true });
    });
  }

  /** Says why opsgate itself stopped the step, when it did. */
  private explain(result: StepResult): StepResult {
    if (this.timedOut && result.status === 'cancelled') {
      return { ...result, status: 'timed-out', message: `stopped by opsgate's safety net after ${formatDuration(this.timedOut.limitMs + this.timedOut.graceMs)} (${result.message})` };
    }
    if (this.auditError && result.status !== 'cancelled') {
      return { ...result, status: 'cancelled', message: `stopped because the audit log failed (${result.message})` };
    }
    return result;
  }

  /** The rest of the output and step.finished; after an audit failure only a best-effort step.finished. */
  async record(result: StepResult): Promise<void> {
    const { audit } = this.scope.input;
    this.durationMs = this.now() - this.startedAt;
    const finished = { index: this.step.index, name: this.step.name, result: { ...result, message: this.scope.redactor.redact(result.message) }, durationMs: this.durationMs };
    if (this.auditError) {
      // A fallback transcript kept by the audit log should still show how the step ended, and the output the
      // redactor held back (the sink keeps lines locally before it refuses them).
      for (const stream of ['stdout', 'stderr'] as const) await audit.stepOutput(this.step.index, stream, this.redactors[stream].end()).catch(() => {});
      await audit.stepFinished(finished).catch(() => {});
      return;
    }
    try {
      for (const stream of ['stdout', 'stderr'] as const) await this.emit(stream, this.redactors[stream].end());
      await audit.stepFinished(finished);
      await audit.flush();
    } catch (error) {
      this.auditError = error;
    }
  }

  outcome(result: StepResult): StepOutcome {
    const { redactor } = this.scope;
    const { tail, truncated } = this.tail.lines();
    return {
      index: this.step.index,
      name: this.step.name,
      kind: this.step.kind,
      status: result.status,
      exitCode: result.exitCode,
      message: redactor.redact(result.message),
      durationMs: this.durationMs,
      outputBytes: this.outputBytes,
      tail,
      tailTruncated: truncated,
      continueOnError: this.step.continueOnError,
      ...(result.perTarget ? { perTarget: result.perTarget.map((t) => ({ ...t, message: redactor.redact(t.message) })) } : {}),
      ...(this.auditError ? { auditError: this.auditError } : {}),
      ...(this.timedOut && result.status === 'timed-out' ? { watchdog: this.timedOut } : {}),
    };
  }
}

/** Aborts `child` when `parent` aborts; returns the unlink function. */
function linkAbort(parent: AbortSignal, child: AbortController): () => void {
  const onAbort = () => child.abort(parent.reason);
  if (parent.aborted) {
    onAbort();
    return () => {};
  }
  parent.addEventListener('abort', onAbort, { once: true });
  return () => parent.removeEventListener('abort', onAbort);
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

function stepFailure(step: Step, result: StepRunResult, watchdog: WatchdogStop | undefined): Outcome {
  const where = `step ${step.index + 1} "${step.name}"`;
  if (result.status === 'timed-out') return refuse('step-timed-out', `${where} ${timeoutText(step, watchdog)}; later steps did not run.`);
  return refuse('step-failed', `${where} failed (${result.message}); later steps did not run.`);
}

/** Which limit stopped the step: its own timeout (the executor enforced it), or opsgate's safety net past it. */
function timeoutText(step: Step, watchdog: WatchdogStop | undefined): string {
  if (!watchdog) return `ran longer than its ${step.timeoutSeconds}s timeout and was stopped`;
  const limit = watchdog.executorBound
    ? `${formatDuration(watchdog.limitMs)}, the longest the executor allows for it (its timeout over every rate-controlled round of the fleet)`
    : `its ${step.timeoutSeconds}s timeout`;
  return `was stopped by opsgate's safety net ${formatDuration(watchdog.graceMs)} past ${limit}, because the executor had not ended it`;
}

function auditLost(audit: AuditLog, step: Step, error: unknown): Outcome {
  return unexpected(
    'audit-unavailable',
    `The audit log (${audit.location.description}) stopped accepting the transcript during step ${step.index + 1} "${step.name}", so the step was stopped and later steps did not run: ${errorText(error)}`,
  );
}

/**
 * Writes run.finished and flushes. When that fails the outcome becomes audit-unavailable (an outage), unless it
 * already is one: then the attempt is best effort, for a fallback copy the audit log may keep.
 */
async function closeRun(audit: AuditLog, outcome: Outcome): Promise<Outcome> {
  try {
    await audit.runFinished({ outcome: outcome.decision, reasonCode: outcome.reasonCode, message: outcome.message });
    await audit.flush();
    return outcome;
  } catch (error) {
    if (outcome.reasonCode === 'audit-unavailable') return outcome;
    return unexpected('audit-unavailable', `${outcome.message} But the audit log (${audit.location.description}) could not record the end of the run: ${errorText(error)}`);
  }
}

async function disposeQuietly(executor: StepExecutor, progress: (event: ProgressEvent) => void): Promise<void> {
  try {
    await executor.dispose();
  } catch (error) {
    progress({ kind: 'note', message: `Could not release the target cleanly: ${errorText(error)}` });
  }
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
