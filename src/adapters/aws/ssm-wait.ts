// Waits for one SSM command to finish. One instance: GetCommandInvocation is the poll, and its last answer
// carries the output copy. A fleet: ListCommands (one call whatever the size), then ListCommandInvocations at
// the end. On abort: CancelCommand, then short polls for at most CANCEL_WAIT_MS, then return what is known.
import { CancelCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { errorText } from '../../run/error-text.js';
import { getCommandState, getInvocation, listInvocations, type CommandState, type SsmInvocation } from './ssm-invocations.js';
import { CANCEL_POLL_MS, CANCEL_WAIT_MS, pause, pollDelays, type PollSchedule, type Sleep } from './ssm-poll.js';
import { isTerminal } from './ssm-status.js';

export interface WaitDeps {
  ssm: SSMClient;
  sleep: Sleep;
  schedule: PollSchedule;
  consistencyWindowMs: number;
  /** Aborted on cancellation, or when the output listener failed. */
  stop: AbortSignal;
  now: () => number;
}

export interface WaitRequest {
  commandId: string;
  /** The instance ids sent (id targets); undefined for tags and resource groups. */
  sentIds?: string[];
  /** The longest this command may legitimately take, given how many instances SSM counts for it. */
  boundMs(targetCount: number): number;
  /** Called after every poll while the command runs (live output). */
  onTick(): Promise<void>;
}

export interface CancelReport {
  /** 'overran': SSM gave no final status within the bound, so opsgate cancelled it itself. */
  reason: 'cancelled' | 'overran';
  /** CancelCommand's own failure. */
  error?: string;
}

export interface WaitOutcome {
  invocations: SsmInvocation[];
  /** Ids sent that SSM never showed within the consistency window. */
  unreported: string[];
  /** SSM counted more targets than it listed (tag targets). */
  unlisted: number;
  /** The tags or resource group matched no instance. */
  noMatch: boolean;
  cancel?: CancelReport;
}

/** How long a listing may take to settle once cancelled. */
const CANCEL_LIST_WINDOW_MS = 2 * CANCEL_POLL_MS;

/** A poll that fails this many times in a row ends the wait (the SDK has already retried each one). */
const MAX_FAILED_POLLS = 3;

export async function waitForCommand(request: WaitRequest, deps: WaitDeps): Promise<WaitOutcome> {
  const single = request.sentIds?.length === 1 ? request.sentIds[0] : undefined;
  return single ? waitForOneInstance(request, deps, single) : waitForFleet(request, deps);
}

async function waitForOneInstance(request: WaitRequest, deps: WaitDeps, instanceId: string): Promise<WaitOutcome> {
  const started = deps.now();
  const poller = new Poller(request.commandId, deps);
  let last: SsmInvocation | undefined;
  for (;;) {
    await poller.next();
    const seen = await poller.read(() => getInvocation(deps.ssm, request.commandId, instanceId));
    if (seen) {
      last = seen;
      await request.onTick();
      if (isTerminal(seen)) break;
    } else if (!poller.cancelling && deps.now() - started > deps.consistencyWindowMs) {
      break;
    }
    if (poller.cancelExpired()) break;
    if (deps.now() - started > request.boundMs(1)) await poller.cancel('overran');
  }
  return { invocations: last ? [last] : [], unreported: last ? [] : [instanceId], unlisted: 0, noMatch: false, cancel: poller.report };
}

async function waitForFleet(request: WaitRequest, deps: WaitDeps): Promise<WaitOutcome> {
  const started = deps.now();
  const poller = new Poller(request.commandId, deps);
  let command: CommandState | undefined;
  for (;;) {
    await poller.next();
    command = (await poller.read(() => getCommandState(deps.ssm, request.commandId))) ?? command;
    await request.onTick();
    if (command && (isTerminal(command) || command.details === 'No Instances In Tag')) break;
    if (poller.cancelExpired()) break;
    if (!command && !poller.cancelling && deps.now() - started > deps.consistencyWindowMs) break;
    const count = command?.targetCount || request.sentIds?.length || 1;
    if (deps.now() - started > request.boundMs(count)) await poller.cancel('overran');
  }
  if (!request.sentIds && command && matchedNothing(command)) {
    return { invocations: [], unreported: [], unlisted: 0, noMatch: true, cancel: poller.report };
  }
  // After a cancel there is little time for the listing to settle: the job must end within seconds.
  const listed = await listUntilComplete(request, deps, command, poller.cancelling ? CANCEL_LIST_WINDOW_MS : deps.consistencyWindowMs);
  return { ...listed, noMatch: false, cancel: poller.report };
}

function matchedNothing(command: CommandState): boolean {
  return command.details === 'No Instances In Tag' || (isTerminal(command) && command.targetCount === 0);
}

/** ListCommandInvocations can return [] or a partial list just after the command ends (aws-cli#3546). */
async function listUntilComplete(
  request: WaitRequest,
  deps: WaitDeps,
  command: CommandState | undefined,
  windowMs: number,
): Promise<Omit<WaitOutcome, 'noMatch' | 'cancel'>> {
  const started = deps.now();
  const delays = pollDelays({ ...deps.schedule, capMs: Math.min(deps.schedule.capMs, 2_000) });
  for (;;) {
    const invocations = await listInvocations(deps.ssm, request.commandId);
    const listed = new Set(invocations.map((i) => i.instanceId));
    const unreported = (request.sentIds ?? []).filter((id) => !listed.has(id));
    const expected = command?.targetCount ?? 0;
    const unlisted = request.sentIds ? 0 : Math.max(0, expected - invocations.length);
    const complete = request.sentIds ? unreported.length === 0 : command !== undefined && invocations.length > 0 && unlisted === 0;
    // An abort during the listing (the command had already ended) leaves only the short window.
    const limit = deps.stop.aborted ? Math.min(windowMs, CANCEL_LIST_WINDOW_MS) : windowMs;
    const left = limit - (deps.now() - started);
    if (complete || left <= 0) return { invocations, unreported, unlisted };
    await pause(deps.sleep, Math.min(delays.next().value, left), deps.stop.aborted ? undefined : deps.stop);
  }
}

/** The pace of polling, and CancelCommand once the step is aborted (or overruns). */
class Poller {
  private readonly delays: Generator<number, never>;
  private cancelSentAt: number | undefined;
  private failedPolls = 0;
  report: CancelReport | undefined;

  constructor(
    private readonly commandId: string,
    private readonly deps: WaitDeps,
  ) {
    this.delays = pollDelays(deps.schedule);
  }

  get cancelling(): boolean {
    return this.cancelSentAt !== undefined;
  }

  /** Sleeps until the next poll; an abort wakes it and sends CancelCommand. */
  async next(): Promise<void> {
    if (this.cancelling) await pause(this.deps.sleep, CANCEL_POLL_MS);
    else await pause(this.deps.sleep, this.delays.next().value, this.deps.stop);
    if (this.deps.stop.aborted) await this.cancel('cancelled');
  }

  /** One poll; a failure is tolerated a few times in a row, and always once cancelling (undefined = nothing new). */
  async read<T>(poll: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      const value = await poll();
      this.failedPolls = 0;
      return value;
    } catch (error) {
      if (!this.cancelling && ++this.failedPolls >= MAX_FAILED_POLLS) throw error;
      return undefined;
    }
  }

  cancelExpired(): boolean {
    return this.cancelSentAt !== undefined && this.deps.now() - this.cancelSentAt >= CANCEL_WAIT_MS;
  }

  async cancel(reason: CancelReport['reason']): Promise<void> {
    if (this.cancelling) return;
    this.cancelSentAt = this.deps.now();
    this.report = { reason };
    try {
      await this.deps.ssm.send(new CancelCommandCommand({ CommandId: this.commandId }));
    } catch (error) {
      this.report.error = errorText(error);
    }
  }
}
