// Maps SSM invocation statuses to opsgate step statuses with a message a user understands. Pure.
import type { StepStatus } from '../../ports/executor.js';

export const TERMINAL_STATUSES = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/** Exit code the script wrapper uses instead of 194/3010, which would make the agent reboot and rerun. */
export const REFUSED_REBOOT_EXIT = 125;

export interface InvocationOutcome {
  status: StepStatus;
  message: string;
}

export function mapInvocationStatus(status: string, details: string, code: number, timeoutSeconds: number): InvocationOutcome {
  if (status === 'Success') return { status: 'succeeded', message: 'exited with code 0' };
  switch (details) {
    case 'Execution Timed Out':
      return { status: 'timed-out', message: `timed out after ${timeoutSeconds}s (executionTimeout) and was stopped` };
    case 'Delivery Timed Out':
      return {
        status: 'error',
        message: 'never started: the instance did not pick up the command before the delivery timeout (is the SSM agent online?)',
      };
    case 'Undeliverable':
      return { status: 'error', message: 'undeliverable: the instance is not reachable or no longer exists' };
    case 'Terminated':
      return { status: 'cancelled', message: 'not run: SSM stopped sending after max-errors was reached on other instances' };
    case 'Access Denied':
      return { status: 'error', message: 'access denied: the instance role may not run this document or write its output' };
    case 'Invalid Platform':
      return { status: 'error', message: 'invalid platform: AWS-RunShellScript needs a Linux instance' };
    case 'Cancelled':
    case 'Canceled':
      return { status: 'cancelled', message: 'cancelled' };
  }
  if (status === 'TimedOut') return { status: 'timed-out', message: `timed out (${details})` };
  if (status === 'Cancelled') return { status: 'cancelled', message: 'cancelled' };
  if (code === REFUSED_REBOOT_EXIT) {
    return { status: 'failed', message: 'the script exited with 194/3010 (reboot-and-rerun codes); opsgate refused it' };
  }
  return { status: 'failed', message: code >= 0 ? `exited with code ${code}` : `failed (${details})` };
}
