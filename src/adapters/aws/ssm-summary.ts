// Folds the per-instance results of one SSM step into the step result a user reads first. Pure.
import type { StepResult, StepStatus, TargetResult } from '../../ports/executor.js';

export interface StepReport {
  perTarget: TargetResult[];
  /** The step was aborted while SSM still ran it (cancelled by the user, or the audit log failed). */
  aborted: boolean;
  /** opsgate cancelled a command itself because SSM gave no final status within the step's bound. */
  overran: boolean;
  /** CancelCommand went out (else an abort only kept later batches from being sent). */
  cancelSent: boolean;
  /** Instances without a final status when opsgate stopped waiting. */
  stillRunning: string[];
  /** CancelCommand failures. */
  cancelErrors: string[];
  /** What makes the step an error whatever the instances did (SendCommand refused, no instance matched, …). */
  problems: string[];
  /** Worth saying, but no reason to fail the step (live output stopped, …). */
  notes: string[];
}

const SEVERITY: StepStatus[] = ['error', 'timed-out', 'failed', 'cancelled'];

export function summarizeStep(report: StepReport): StepResult {
  const result = summarizeInstances(report);
  const message = [...report.problems, ...(report.perTarget.length > 0 || report.problems.length === 0 ? [result.message] : []), ...report.notes].join('; ');
  const status = report.problems.length > 0 && !report.aborted ? 'error' : result.status;
  return { ...result, status, message };
}

function summarizeInstances(report: StepReport): StepResult {
  const { perTarget } = report;
  const single = perTarget.length === 1 ? perTarget[0] : undefined;
  if (report.aborted || report.overran) {
    return {
      status: report.aborted ? 'cancelled' : 'timed-out',
      exitCode: single?.exitCode ?? null,
      message: `${report.aborted ? 'cancelled' : 'SSM gave no final status within the time this step may take'}; ${cancelText(report)}`,
      perTarget,
    };
  }
  // Fail closed: a step SSM reported on no instance did not succeed anywhere we know of.
  if (perTarget.length === 0) return { status: 'error', exitCode: null, message: 'SSM reported no instance for this step, so whether it ran anywhere is unknown', perTarget };
  const worst = SEVERITY.find((s) => perTarget.some((t) => t.status === s));
  if (!worst) return { status: 'succeeded', exitCode: 0, message: `succeeded on ${perTarget.length} instance(s)`, perTarget };
  if (single) return { status: single.status, exitCode: single.exitCode, message: `${single.id}: ${single.message}`, perTarget };
  const bad = perTarget.filter((t) => t.status !== 'succeeded');
  const first = bad.find((t) => t.status === 'failed' || t.status === 'timed-out') ?? bad[0]!;
  return {
    // Instances SSM skipped after max-errors are "cancelled"; the step itself failed.
    status: worst === 'cancelled' ? 'failed' : worst,
    exitCode: first.exitCode,
    message: `${bad.length} of ${perTarget.length} instance(s) did not succeed; first: ${first.id}: ${first.message}`,
    perTarget,
  };
}

function cancelText(report: StepReport): string {
  if (!report.cancelSent) return 'no command was running; the remaining batches were not sent';
  const sent = report.cancelErrors.length > 0 ? `CancelCommand failed (${report.cancelErrors.join('; ')})` : 'CancelCommand sent';
  if (report.stillRunning.length === 0) return `${sent}; every instance reached a final status`;
  return `${sent}, but SSM gives no guarantee that the script stops: may still be running on: ${report.stillRunning.join(', ')}`;
}
