// Maps SSM invocation statuses to opsgate step statuses with a message a user understands. Pure.
import type { StepStatus } from '../../ports/executor.js';
import { REFUSED_REBOOT_EXIT } from './ssm-wrapper.js';

/** Final statuses, for invocations and for commands alike (Delayed and Cancelling are not final). */
const TERMINAL_STATUSES = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/** Invocations that never started on the instance: there is no output to read. */
export const NEVER_STARTED_DETAILS = new Set(['Terminated', 'Delivery Timed Out', 'Undeliverable']);

export interface InvocationState {
  status: string;
  details: string;
  /** ResponseCode; -1 when the script never ran or SSM has no code. */
  exitCode: number;
}

export interface InvocationOutcome {
  status: StepStatus;
  exitCode: number | null;
  message: string;
}

export function isTerminal(state: { status: string }): boolean {
  return TERMINAL_STATUSES.has(state.status);
}

/** Failed and Execution Timed Out count toward MaxErrors; delivery problems do not (SSM's own rule). */
export function countsTowardMaxErrors(state: InvocationState): boolean {
  if (state.status === 'Failed') return state.details !== 'Undeliverable';
  return state.status === 'TimedOut' && state.details === 'Execution Timed Out';
}

/**
 * `refusedExit` is the step's own exit code when the wrapper's refusal line was seen on stderr (194/3010).
 */
export function mapInvocationStatus(state: InvocationState, timeoutSeconds: number, refusedExit?: number): InvocationOutcome {
  const code = state.exitCode >= 0 ? state.exitCode : null;
  if (state.status === 'Success') return { status: 'succeeded', exitCode: 0, message: 'exited with code 0' };
  if (refusedExit !== undefined && state.exitCode === REFUSED_REBOOT_EXIT) {
    return {
      status: 'failed',
      exitCode: refusedExit,
      message: `exited with ${refusedExit}, which makes the SSM agent reboot the instance and run the script again; opsgate refused it (SSM saw exit ${REFUSED_REBOOT_EXIT})`,
    };
  }
  const byDetails = detailOutcome(state.details, timeoutSeconds);
  if (byDetails) return { ...byDetails, exitCode: byDetails.status === 'timed-out' ? code : null };
  if (state.status === 'TimedOut') return { status: 'timed-out', exitCode: code, message: `timed out (${state.details || 'no details from SSM'})` };
  if (state.status === 'Cancelled') return { status: 'cancelled', exitCode: code, message: 'cancelled' };
  if (!isTerminal(state)) return { status: 'cancelled', exitCode: null, message: `no final status from SSM (last seen ${state.status}); it may still be running` };
  return { status: 'failed', exitCode: code, message: code !== null ? `exited with code ${code}` : `failed before the script ran (${state.details || 'no details from SSM'})` };
}

function detailOutcome(details: string, timeoutSeconds: number): Omit<InvocationOutcome, 'exitCode'> | undefined {
  switch (details) {
    case 'Execution Timed Out':
      return { status: 'timed-out', message: `timed out after ${timeoutSeconds}s (the step's timeout, sent as executionTimeout) and was stopped` };
    case 'Delivery Timed Out':
      return {
        status: 'error',
        message: 'never started: the instance did not pick up the command before the delivery timeout (is the SSM agent running and online?)',
      };
    case 'Undeliverable':
      return { status: 'error', message: 'undeliverable: SSM could not reach the instance (stopped, terminated, or not in this account/region)' };
    case 'Terminated':
      return { status: 'cancelled', message: 'not run: SSM stopped sending after max-errors was reached on other instances' };
    case 'Access Denied':
      return { status: 'error', message: "access denied: the instance's role may not run this document or write its output" };
    case 'Invalid Platform':
      return { status: 'error', message: 'invalid platform: AWS-RunShellScript needs a Linux instance' };
    case 'Cancelled':
    case 'Canceled':
      return { status: 'cancelled', message: 'cancelled' };
  }
  return undefined;
}
