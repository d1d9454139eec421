// Every decision the action takes ends as data: a decision, a reason code from this closed list, and a
// message for humans. Failures are expected refusals caused by the user's input or policy; errors are
// unexpected (API outage, bug). They are reported differently and never confused.

export const REASON_CODES = [
  // success
  'ok',
  'no-runbooks',
  'already-completed',
  // refusals of bad input
  'invalid-runbook',
  'invalid-config',
  'lint-failed',
  // pull requests too large to check completely (split them)
  'too-many-files',
  'too-many-runbooks',
  'too-many-commits',
  // approval gate
  'not-approved',
  'changes-requested',
  'self-approval',
  'stale-approval',
  'approver-not-eligible',
  'team-membership-unreadable',
  'digest-mismatch',
  'no-reviewed-pull-request',
  // time window
  'window-not-open',
  'window-closed',
  // run once
  'already-ran',
  'interrupted-earlier',
  'already-running',
  // execution
  'step-failed',
  'step-timed-out',
  'cancelled',
  'audit-unavailable',
  'executor-unavailable',
  // unexpected
  'internal-error',
  'github-unavailable',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/** `proceed`: the action did its job (ran, or nothing to do). `refuse`: a policy/input failure. `error`: unexpected. */
export type Decision = 'proceed' | 'refuse' | 'error';

export interface Outcome {
  decision: Decision;
  reasonCode: ReasonCode;
  message: string;
}

export function proceed(reasonCode: ReasonCode, message: string): Outcome {
  return { decision: 'proceed', reasonCode, message };
}

export function refuse(reasonCode: ReasonCode, message: string): Outcome {
  return { decision: 'refuse', reasonCode, message };
}

export function unexpected(reasonCode: ReasonCode, message: string): Outcome {
  return { decision: 'error', reasonCode, message };
}

/** A refusal raised from deep inside a use case; carries its reason code to the composition root. */
export class RefusalError extends Error {
  constructor(
    readonly reasonCode: ReasonCode,
    message: string,
  ) {
    super(message);
    this.name = 'RefusalError';
  }
}
