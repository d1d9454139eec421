// Runs one step through as many ECS Exec sessions as it takes: the first starts the detached runner, later
// ones (after a dropped connection or an idle timeout) re-attach from the last byte received. The runner's
// directory lock means the step starts at most once; a stop (cancel, timeout, audit failure) interrupts the
// step's process group and is confirmed within the stop budget.
import type { StepContext, StepResult } from '../../../ports/executor.js';
import type { Step } from '../../../runbook/model.js';
import { errorText } from '../../../run/error-text.js';
import { lastSegment } from './arn.js';
import { describeExitCode, describeStop } from './exit-status.js';
import type { RemoteStepPlan } from './runner-command.js';
import type { EcsSessionContext } from './session-context.js';
import { StepOutput } from './step-output.js';
import { attachOnce, type AttachOutcome } from './step-session.js';
import { StopControl, type StopConfirmation, type StopReason } from './step-stop.js';

export async function runRemoteStep(ctx: EcsSessionContext, plan: RemoteStepPlan, step: Step, context: StepContext): Promise<StepResult> {
  const stop = new StopControl(ctx.clock, step.timeoutSeconds * 1000, context.signal);
  const output = new StepOutput(context.onOutput, ctx.tuning.windowBytes, () => stop.request('output-failed'));
  try {
    const outcome = await attachUntilDone(ctx, plan, output, stop);
    await output.settled();
    return resultOf(ctx, plan, step, outcome, stop.reason, output.failure);
  } finally {
    stop.dispose();
  }
}

type FinalOutcome =
  | Exclude<AttachOutcome, { kind: 'dropped' }>
  | { kind: 'gave-up'; reason: string; attached: boolean }
  | { kind: 'unconfirmed' }
  /** The runner confirmed the stop, but the budget ran out before the rest of the output and the exit record. */
  | ({ kind: 'stopped' } & StopConfirmation);

async function attachUntilDone(ctx: EcsSessionContext, plan: RemoteStepPlan, output: StepOutput, stop: StopControl): Promise<FinalOutcome> {
  let failedInARow = 0;
  let attached = false;
  for (let attempt = 0; ; attempt++) {
    if (stop.reason && stop.elapsedMs() >= ctx.tuning.stopBudgetMs) return stop.confirmed ? { kind: 'stopped', ...stop.confirmed } : { kind: 'unconfirmed' };
    const outcome = await attachOnce(ctx, plan, output, stop, attached);
    if (outcome.kind !== 'dropped') return outcome;
    attached ||= outcome.attached;
    failedInARow = outcome.attached ? 0 : failedInARow + 1;
    ctx.diagnostic?.(`session ${attempt + 1} ended before the step did (${outcome.reason}); attaching again`);
    if (failedInARow >= ctx.tuning.maxFailedAttaches) return { kind: 'gave-up', reason: outcome.reason, attached };
    if (stop.reason) continue; // no back-off while the stop budget runs
    const delays = ctx.tuning.reconnectDelaysMs;
    await ctx.clock.sleep(delays[Math.min(failedInARow, delays.length - 1)] ?? 1_000).catch(() => undefined);
  }
}

function resultOf(ctx: EcsSessionContext, plan: RemoteStepPlan, step: Step, outcome: FinalOutcome, stopped: StopReason | undefined, failure: { error: unknown } | undefined): StepResult {
  const where = `task ${lastSegment(ctx.task.taskArn)} (${plan.directory})`;
  if (failure) {
    const stopped = outcome.kind === 'exit' || outcome.kind === 'stopped' ? outcome : undefined;
    const how = stopped && typeof stopped.code === 'number' ? `; ${describeStop(stopped.how, stopped.code)}` : `; the step may still be running in ${where}`;
    // The step directory is kept: its out/err files hold what the audit log could not take.
    return { status: 'cancelled', exitCode: null, message: `output could not be recorded (${errorText(failure.error)}), so the step was stopped${how}; its full output stays in ${where}` };
  }
  switch (outcome.kind) {
    case 'exit':
      return exitResult(outcome.code, outcome.how, stopped, step, where);
    case 'refused':
      if (outcome.reason === 'absent') return { status: stopped === 'timed-out' ? 'timed-out' : 'cancelled', exitCode: null, message: `${stopPrefix(stopped, step)}the step had not started yet: it did not run` };
      return { status: 'error', exitCode: null, message: `step not run: ${refusalText(outcome.reason)}` };
    case 'fatal':
      return { status: 'error', exitCode: null, message: outcome.message };
    case 'gave-up':
      if (!outcome.attached) {
        return { status: 'error', exitCode: null, message: `could not reach the step runner in ${where} after ${ctx.tuning.maxFailedAttaches} ECS Exec sessions (${outcome.reason}); the step may have started there` };
      }
      return { status: 'error', exitCode: null, message: `lost the ECS Exec connection to ${where} and could not attach again (${outcome.reason}); the step may still be running there` };
    case 'stopped':
      return {
        status: stopped === 'timed-out' ? 'timed-out' : 'cancelled',
        exitCode: outcome.how === 'not-started' ? null : outcome.code,
        message: `${stopPrefix(stopped, step)}${describeStop(outcome.how, outcome.code)}; the rest of its output did not arrive within the ${ctx.tuning.stopBudgetMs / 1000} s stop budget and stays in ${where}`,
      };
    case 'unconfirmed':
      return {
        status: stopped === 'timed-out' ? 'timed-out' : 'cancelled',
        exitCode: null,
        message: `${stopPrefix(stopped, step)}asked the step to stop, but ${where} did not confirm within ${ctx.tuning.stopBudgetMs / 1000} s; it may still be running`,
      };
  }
}

function exitResult(code: number | 'lost', how: string, stopped: StopReason | undefined, step: Step, where: string): StepResult {
  if (code === 'lost') {
    return { status: 'error', exitCode: null, message: `the step's process in ${where} disappeared without an exit status (the container restarted or the process was killed)` };
  }
  if (how) {
    const status = stopped === 'timed-out' ? 'timed-out' : 'cancelled';
    return { status, exitCode: how === 'not-started' ? null : code, message: `${stopPrefix(stopped, step)}${describeStop(how, code)}` };
  }
  return { status: code === 0 ? 'succeeded' : 'failed', exitCode: code, message: describeExitCode(code) };
}

function stopPrefix(stopped: StopReason | undefined, step: Step): string {
  if (stopped === 'timed-out') return `timed out after ${step.timeoutSeconds} s: `;
  if (stopped === 'cancelled') return 'cancelled: ';
  return '';
}

function refusalText(reason: string): string {
  const texts: Record<string, string> = {
    'setsid-missing': 'the container has no `setsid` (util-linux or busybox), which opsgate needs to run the step detached',
    'stty-failed': 'could not put the ECS Exec terminal in raw mode (`stty` missing?), so output could not be carried byte for byte',
    'decode-failed': 'could not decode the step script in the container (`base64` missing or /tmp full?)',
    'mkdir-failed': 'could not create the step directory under /tmp/opsgate (read-only or full /tmp?)',
  };
  return texts[reason] ?? `the step runner refused (${reason})`;
}
