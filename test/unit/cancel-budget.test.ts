// The shares of a cancelled job's time add up inside the runner's window (github-facts §7), and the forced exit
// keeps the real outcome once the outputs are written.
import { describe, expect, it } from 'vitest';
import * as budget from '../../src/run/cancel-budget.js';
import { forcedExitCode } from '../../src/main.js';

describe('the cancellation budget', () => {
  it("exits with margin under the runner's 5 s target, long before SIGTERM and the kill", () => {
    expect(budget.FORCED_EXIT_MS).toBeLessThanOrEqual(budget.RUNNER_EXIT_TARGET_MS - 250);
    expect(budget.RUNNER_EXIT_TARGET_MS).toBeLessThan(budget.RUNNER_SIGTERM_AFTER_MS);
    expect(budget.RUNNER_KILL_AFTER_MS).toBe(10_000);
  });

  it('fits every share, one after another, inside the forced exit', () => {
    const { STEP_STOP_MS, EXECUTOR_STOP_MS, SSM_CANCEL_WAIT_MS, CLOUDWATCH_CANCEL_BUDGET_MS, SLACK_CANCELLED_MS, CANCELLED_COMMENT_MS, EXIT_RESERVE_MS, FORCED_EXIT_MS } = budget;
    // An executor confirms the stop before the orchestrator gives up on it; SSM also lists instances (0.5 s) after its polls.
    expect(EXECUTOR_STOP_MS).toBeLessThan(STEP_STOP_MS);
    expect(SSM_CANCEL_WAIT_MS + 500).toBeLessThanOrEqual(EXECUTOR_STOP_MS);
    // The transcript closes after the step stopped, inside its CloudWatch budget.
    expect(CLOUDWATCH_CANCEL_BUDGET_MS).toBeGreaterThan(STEP_STOP_MS);
    expect(CANCELLED_COMMENT_MS).toBeGreaterThanOrEqual(500);
    expect(CLOUDWATCH_CANCEL_BUDGET_MS + SLACK_CANCELLED_MS + CANCELLED_COMMENT_MS + EXIT_RESERVE_MS).toBe(FORCED_EXIT_MS);
  });
});

describe('the forced exit status', () => {
  it('is the real one once the outputs are written (0 unless the action failed), else the cancelled failure', () => {
    expect(forcedExitCode(true, undefined)).toBe(0);
    expect(forcedExitCode(true, 1)).toBe(1);
    expect(forcedExitCode(false, undefined)).toBe(1);
    expect(forcedExitCode(false, 0)).toBe(1);
  });
});
