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
import { executionTimeoutSeconds, stepDurationBoundMs, worstCaseRounds } from './ssm-limits.js';
import { findSentCommand } from './ssm-lookup.js';
import { emitOutputs } from './ssm-output.js';
import { OutputWriter } from './ssm-output-writer.js';
import { pause, type PollSchedule, type Sleep } from './ssm-poll.js';
import { newSendRef, sendCommand, sendCommandInput, sendRefTag, type SendSettings } from './ssm-send.js';
import { documentSizeProblem } from './ssm-document-size.js';
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
  /** Instances prepare() found for a tag target: how many rounds SSM's delivery timeout must leave room for. */
  fleetSize?: number;
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
      origin: context.origin,
      stepName: step.name,
      deliverySeconds: deps.deliverySeconds,
      executionSeconds: executionTimeoutSeconds(step),
      fleetSize: deps.fleetSize,
    },
    // When the output listener fails (the audit log is down) the step stops like a cancel.
    writer: new OutputWriter(context.onOutput, deps.target.instanceIds?.length !== 1, nonce, () => listenerFailed.abort()),
    stop: AbortSignal.any([context.signal, listenerFailed.signal]),
    report: { perTarget: [], aborted: false, overran: false, cancelSent: false, stillRunning: [], cancelErrors: [], problems: [], notes: [] },
  };
  // Refused before anything is sent: SSM would refuse the whole document (MaxDocumentSizeExceeded).
  const tooLarge = documentSizeProblem(step, deps.target, run.settings);
  if (tooLarge) return { status: 'error', exitCode: null, message: tooLarge, perTarget: [] };
  const sent = await sendBatches(run);
  if (sent === 0 && run.stop.aborted) {
    return { status: 'cancelled', exitCode: null, message: 'cancelled before SendCommand; nothing ran', perTarget: run.report.perTarget };
  }
  return summarizeStep(run.report);
}

/** Sends the batches one after another; returns how many SendCommands went out (answered or not). */
async function sendBatches(run: StepRun): Promise<number> {
  const { target } = run.deps;
  const plan = planSends(target);
  let errors = 0;
  let answerLost = false;
  for (const [i, batch] of plan.batches.entries()) {
    const overBudget = plan.errorBudget !== undefined && errors > plan.errorBudget;
    if (run.stop.aborted || overBudget || answerLost) {
      run.report.aborted ||= run.stop.aborted;
      const why = run.stop.aborted
        ? 'the step was cancelled before this batch was sent'
        : answerLost ? 'an earlier SendCommand of this step got no answer' : `max-errors ${target.maxErrors} was reached in an earlier batch`;
      run.report.perTarget.push(...notSent(plan.batches.slice(i), why));
      return i;
    }
    const maxErrors = plan.errorBudget === undefined ? target.maxErrors : String(plan.errorBudget - errors);
    const sent = await sendBatch(run, batch, maxErrors);
    if ('refused' in sent) {
      run.report.problems.push(sent.refused);
      run.report.perTarget.push(...notSent(plan.batches.slice(i), 'SendCommand was refused'));
      return i;
    }
    answerLost = sent.answerLost;
    if (sent.commandId === undefined) continue;
    const results = await runCommand(run, sent.commandId, batch);
    errors += results.errors;
  }
  return plan.batches.length;
}

type BatchSend = { refused: string } | { commandId: string | undefined; answerLost: boolean };

/** One SendCommand, sent once; when its answer is lost, the command is looked up by its Comment's reference. */
async function sendBatch(run: StepRun, batch: SendBatch, maxErrors: string): Promise<BatchSend> {
  const ref = newSendRef();
  const sentAt = run.deps.now();
  const sent = await sendCommand(run.deps.ssm, sendCommandInput(run.settings, batch, maxErrors, ref), run.deps.target);
  if ('commandId' in sent) return { commandId: sent.commandId, answerLost: false };
  if ('refused' in sent) return sent;
  return { commandId: await lookUpUnanswered(run, batch, ref, sentAt, sent.unanswered), answerLost: true };
}

/** How long SSM's listing gets to show a command it accepted before opsgate looks for it (once). */
const LOOKUP_DELAY_MS = 5_000;

/** Records what the lookup found; returns the command to follow when SSM did accept it. */
async function lookUpUnanswered(run: StepRun, batch: SendBatch, ref: string, sentAt: number, cause: unknown): Promise<string | undefined> {
  const { deps, report } = run;
  await pause(deps.sleep, Math.min(LOOKUP_DELAY_MS, deps.consistencyWindowMs), run.stop);
  const found = await findSentCommand(deps.ssm, ref, sentAt);
  const tag = sendRefTag(ref);
  const what = `SSM target "${deps.target.name}": SendCommand got no answer (${errorText(cause)}), so the script may have run; opsgate did not send it again`;
  const check = `before running this step again, look for "${tag}" in the Comment column of Systems Manager > Run Command > Command history`;
  if ('found' in found) {
    report.problems.push(`${what}. ListCommands shows SSM accepted it as command ${found.found} (Comment ${tag}); opsgate followed that command, see each instance's result`);
    return found.found;
  }
  const verdict = 'notFound' in found
    ? `ListCommands shows no command with ${tag} in its Comment sent since ${found.notFound.toISOString()}, so it most likely did not run, but SSM's listing can lag`
    : `looking it up with ListCommands failed too (${found.failed}), so whether it ran is unknown`;
  report.problems.push(`${what}. ${verdict}: ${check}`);
  const ids = 'InstanceIds' in batch.selector ? batch.selector.InstanceIds : [];
  report.perTarget.push(...ids.map((id) => ({ id, status: 'error' as const, exitCode: null, message: `result unknown: SendCommand got no answer, so the script may have run here (look for ${tag} in the Run Command history)` })));
  return undefined;
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
  noteLateRounds(run, batch, outcome);
  return { errors: outcome.invocations.filter(countsTowardMaxErrors).length };
}

/**
 * SSM ends a command TimeoutSeconds + executionTimeout after it was sent. opsgate widens TimeoutSeconds by one
 * execution timeout per extra round when it knows the fleet size before sending (instance ids, tags resolved by
 * prepare()); for a resource group with a fixed max-concurrency it cannot, and later rounds may never start.
 */
function noteLateRounds(run: StepRun, batch: SendBatch, outcome: WaitOutcome): void {
  const { target } = run.deps;
  const known = 'InstanceIds' in batch.selector || worstCaseRounds(batch.MaxConcurrency, run.settings.fleetSize) !== undefined;
  const late = outcome.invocations.filter((inv) => inv.details === 'Delivery Timed Out').length;
  if (known || late === 0) return;
  run.report.notes.push(
    `${late} instance(s) never started, perhaps because their turn under max-concurrency ${batch.MaxConcurrency} came after SSM's deadline for the command ` +
      `(TimeoutSeconds ${run.settings.deliverySeconds} s + executionTimeout ${run.settings.executionSeconds} s): opsgate did not know how many instances target "${target.name}" has before sending, ` +
      'so it could not leave room for more rounds. Use a percentage max-concurrency, or tags or instance-ids instead of a resource group',
  );
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
