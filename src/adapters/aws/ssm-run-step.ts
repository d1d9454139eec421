// Runs one step through SSM Run Command: each batch is sent, waited for and its output read before the next,
// so max-errors holds for the whole run; then the per-instance results are folded into the step result.
import { randomUUID } from 'node:crypto';
import { CancelCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SsmTarget, Step } from '../../runbook/model.js';
import type { StepContext, StepResult, TargetResult } from '../../ports/executor.js';
import { errorText } from '../../run/error-text.js';
import { renderStepScript } from '../../run/step-script.js';
import { CommandOutputStreams } from './ssm-cloudwatch-output.js';
import type { SsmInvocation } from './ssm-invocations.js';
import { executionTimeoutSeconds, stepDurationBoundMs } from './ssm-limits.js';
import { emitOutputs } from './ssm-output.js';
import { OutputWriter } from './ssm-output-writer.js';
import type { PollSchedule, Sleep } from './ssm-poll.js';
import { commandComment, sendCommand, sendCommandInput, type SendSettings } from './ssm-send.js';
import { countsTowardMaxErrors, isTerminal, mapInvocationStatus } from './ssm-status.js';
import { summarizeStep, type StepReport } from './ssm-summary.js';
import { planSends, type SendBatch } from './ssm-targets.js';
import { waitForCommand, type WaitOutcome } from './ssm-wait.js';
import { wrapScriptForSsm } from './ssm-wrapper.js';

export interface SsmStepDeps {
  ssm: SSMClient;
  logs?: CloudWatchLogsClient;
  target: SsmTarget;
  deliverySeconds: number;
  sleep: Sleep;
  schedule: PollSchedule;
  consistencyWindowMs: number;
  now: () => number;
}

/** Time allowed after the last instance ends for polling lag and reading its output. */
export const OUTPUT_READ_SLACK_MS = 60_000;

interface StepRun {
  deps: SsmStepDeps;
  settings: SendSettings;
  writer: OutputWriter;
  stop: AbortSignal;
  report: StepReport;
}

export async function runSsmStep(step: Step, context: StepContext, deps: SsmStepDeps): Promise<StepResult> {
  const nonce = randomUUID();
  const listenerFailed = new AbortController();
  const run: StepRun = {
    deps,
    settings: {
      target: deps.target,
      commands: wrapScriptForSsm(renderStepScript(step, context.database), nonce),
      comment: commandComment(context.origin, step.name),
      deliverySeconds: deps.deliverySeconds,
      executionSeconds: executionTimeoutSeconds(step),
    },
    // When the output listener fails (the audit log is down) the step stops like a cancel.
    writer: new OutputWriter(context.onOutput, deps.target.instanceIds?.length !== 1, nonce, () => listenerFailed.abort()),
    stop: AbortSignal.any([context.signal, listenerFailed.signal]),
    report: { perTarget: [], aborted: false, overran: false, cancelSent: false, stillRunning: [], cancelErrors: [], problems: [], notes: [] },
  };
  const sent = await sendBatches(run);
  if (sent === 0 && run.stop.aborted) {
    return { status: 'cancelled', exitCode: null, message: 'cancelled before SendCommand; nothing ran', perTarget: run.report.perTarget };
  }
  return summarizeStep(run.report);
}

/** Sends the batches one after another; returns how many were sent. */
async function sendBatches(run: StepRun): Promise<number> {
  const { target } = run.deps;
  const plan = planSends(target);
  let errors = 0;
  for (const [i, batch] of plan.batches.entries()) {
    const overBudget = plan.errorBudget !== undefined && errors > plan.errorBudget;
    if (run.stop.aborted || overBudget) {
      run.report.aborted ||= run.stop.aborted;
      const why = run.stop.aborted ? 'the step was cancelled before this batch was sent' : `max-errors ${target.maxErrors} was reached in an earlier batch`;
      run.report.perTarget.push(...notSent(plan.batches.slice(i), why));
      return i;
    }
    const maxErrors = plan.errorBudget === undefined ? target.maxErrors : String(plan.errorBudget - errors);
    const sent = await sendCommand(run.deps.ssm, sendCommandInput(run.settings, batch, maxErrors), target);
    if ('error' in sent) {
      run.report.problems.push(sent.error);
      run.report.perTarget.push(...notSent(plan.batches.slice(i), 'SendCommand was refused'));
      return i;
    }
    const results = await runCommand(run, sent.commandId, batch);
    errors += results.errors;
  }
  return plan.batches.length;
}

function notSent(batches: SendBatch[], why: string): TargetResult[] {
  return batches.flatMap((b) => ('InstanceIds' in b.selector ? b.selector.InstanceIds : [])).map((id) => ({ id, status: 'cancelled' as const, exitCode: null, message: `not run: ${why}; SSM never sent it` }));
}

/** Waits for one command, emits its output and records each instance's result; returns its MaxErrors count. */
async function runCommand(run: StepRun, commandId: string, batch: SendBatch): Promise<{ errors: number }> {
  const { deps, writer } = run;
  const sentIds = 'InstanceIds' in batch.selector ? batch.selector.InstanceIds : undefined;
  const group = deps.target.outputLogGroup;
  const streams = group && deps.logs ? new CommandOutputStreams(deps.logs, group, commandId) : undefined;
  const liveInstance = sentIds?.length === 1 ? sentIds[0] : undefined;
  let outcome: WaitOutcome;
  try {
    outcome = await waitForCommand(
      {
        commandId,
        sentIds,
        boundMs: (count) => commandBoundMs(run, batch, count),
        onTick: async () => streams?.readLive((id, stream, text) => writer.write(id, stream, text), liveInstance),
      },
      { ssm: deps.ssm, sleep: deps.sleep, schedule: deps.schedule, consistencyWindowMs: deps.consistencyWindowMs, stop: run.stop, now: deps.now },
    );
  } catch (error) {
    return { errors: await abandonCommand(run, commandId, sentIds, error) };
  }
  const notes = await emitOutputs(
    outcome.invocations,
    { ssm: deps.ssm, streams, targetName: deps.target.name, sleep: deps.sleep, now: deps.now, retryWindowMs: outcome.cancel ? 0 : deps.consistencyWindowMs, stop: run.stop },
    writer,
  );
  if (streams?.liveError) run.report.notes.push(`live output from CloudWatch group ${group} stopped (${streams.liveError}); the output above was read when each instance ended`);
  recordOutcome(run, commandId, outcome, notes);
  return { errors: outcome.invocations.filter(countsTowardMaxErrors).length };
}

function commandBoundMs(run: StepRun, batch: SendBatch, targetCount: number): number {
  return stepDurationBoundMs({
    batchSizes: [targetCount],
    concurrency: batch.MaxConcurrency,
    deliverySeconds: run.settings.deliverySeconds,
    executionSeconds: run.settings.executionSeconds,
    slackMs: run.deps.schedule.capMs,
  });
}

function recordOutcome(run: StepRun, commandId: string, outcome: WaitOutcome, notes: Map<string, string[]>): void {
  const { report } = run;
  for (const inv of outcome.invocations) report.perTarget.push(targetResult(run, inv, notes.get(inv.instanceId) ?? []));
  const waitedS = Math.round(run.deps.consistencyWindowMs / 1000);
  for (const id of outcome.unreported) {
    report.perTarget.push(
      outcome.cancel
        ? { id, status: 'cancelled', exitCode: null, message: 'SSM had not shown this invocation when opsgate stopped waiting; it may still run' }
        : { id, status: 'error', exitCode: null, message: `SSM never showed an invocation of command ${commandId} for this instance within ${waitedS}s, so whether it ran is unknown; look the command up in Systems Manager > Run Command` },
    );
  }
  if (outcome.noMatch) {
    report.problems.push(`no instances matched SSM target "${run.deps.target.name}" when the step was sent (command ${commandId}: No Instances In Tag); check the tags or resource group, and that the instances are managed by SSM`);
  }
  if (outcome.unlisted > 0 && outcome.cancel) {
    report.stillRunning.push(`${outcome.unlisted} more instance(s) of command ${commandId} that SSM had not listed yet`);
  } else if (outcome.unlisted > 0) {
    report.problems.push(`SSM counted ${outcome.unlisted} more instance(s) for command ${commandId} than it listed within ${waitedS}s; their results are unknown here: see Systems Manager > Run Command`);
  }
  if (outcome.cancel) {
    // An abort that came after every instance had finished changes nothing: their results stand.
    report.cancelSent = true;
    if (outcome.cancel.reason === 'cancelled') report.aborted = true;
    if (outcome.cancel.reason === 'overran') report.overran = true;
    if (outcome.cancel.error) report.cancelErrors.push(outcome.cancel.error);
    report.stillRunning.push(...outcome.invocations.filter((inv) => !isTerminal(inv)).map((inv) => inv.instanceId), ...outcome.unreported);
  }
}

function targetResult(run: StepRun, inv: SsmInvocation, notes: string[]): TargetResult {
  const outcome = mapInvocationStatus(inv, run.settings.executionSeconds, run.writer.refusedExit(inv.instanceId));
  return { id: inv.instanceId, status: outcome.status, exitCode: outcome.exitCode, message: [outcome.message, ...notes].join('; ') };
}

/** SSM could not be followed any more: cancel rather than leave work running that opsgate cannot record. */
async function abandonCommand(run: StepRun, commandId: string, sentIds: string[] | undefined, error: unknown): Promise<number> {
  const cancelled = await run.deps.ssm.send(new CancelCommandCommand({ CommandId: commandId })).then(
    () => 'CancelCommand sent',
    (cancelError: unknown) => `CancelCommand failed too (${errorText(cancelError)})`,
  );
  const where = sentIds ? sentIds.join(', ') : `the instances matching target "${run.deps.target.name}"`;
  run.report.problems.push(`could not follow command ${commandId} (${errorText(error)}); ${cancelled}; it may still be running on: ${where}`);
  run.report.perTarget.push(...(sentIds ?? []).map((id) => ({ id, status: 'error' as const, exitCode: null, message: `result unknown: opsgate lost track of command ${commandId}` })));
  // Unknown results stop later batches, whatever max-errors allows.
  return Number.MAX_SAFE_INTEGER;
}
