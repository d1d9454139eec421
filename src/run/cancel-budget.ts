// How a cancelled job spends the time between the runner's first signal and its exit: one table, so no piece can
// outgrow the others unnoticed. The runner (../shared/design/github-facts.md §7) sends SIGINT, SIGTERM 7.5 s later
// and kills the process tree 2.5 s after that; it asks an action to exit within about 5 s. Every value is measured
// from the first signal and derived from FORCED_EXIT_MS. In the worst case the waits come one after another:
//
//   SIGINT ─ stop the step ─ close the transcript ─ Slack ─ result comment ─ outputs │ forced exit (4.5 s) ·· 5 s target ·· SIGTERM 7.5 s ·· kill 10 s
//           └ STEP_STOP ┘   └─── CloudWatch budget (from SIGINT) ───┘                │
//
// Each wait is bounded by its share (the comment and Slack by what is actually left), and main.ts exits at
// FORCED_EXIT_MS whatever still hangs: the post: step posts what could not be posted in time.

/** The runner's schedule after it cancels a job (github-facts §7). */
export const RUNNER_EXIT_TARGET_MS = 5_000;
export const RUNNER_SIGTERM_AFTER_MS = 7_500;
export const RUNNER_KILL_AFTER_MS = RUNNER_SIGTERM_AFTER_MS + 2_500;

/** After the first SIGINT/SIGTERM, main.ts writes the outputs (cancelled, unless the real ones are out) and exits. */
export const FORCED_EXIT_MS = 4_500;

/** Kept free before the forced exit: writing the outputs and the job summary after the comment. */
export const EXIT_RESERVE_MS = 250;

/** How long the orchestrator waits for the executor to confirm a cancelled step stopped, then records it as stopped. */
export const STEP_STOP_MS = 2_000;

/** What an executor may take to stop a step, inside STEP_STOP_MS with room to report: the local SIGTERM→SIGKILL grace, the ECS stop budget. */
export const EXECUTOR_STOP_MS = STEP_STOP_MS - 500;

/** SSM: polls after CancelCommand for at most this long; listing the instances (0.5 s) and their output fit in the rest. */
export const SSM_CANCEL_WAIT_MS = EXECUTOR_STOP_MS - 500;

/** Writing step.finished and run.finished after the step stopped. */
const AUDIT_CLOSE_MS = 750;

/** Every CloudWatch Logs call after the signal (transcript, ledger) fits in this, counted from the signal. */
export const CLOUDWATCH_CANCEL_BUDGET_MS = STEP_STOP_MS + AUDIT_CLOSE_MS;

/** The Slack "finished" message after a cancellation. */
export const SLACK_CANCELLED_MS = 500;

/** The result comment after a cancellation: what is left of the forced-exit deadline. */
export const CANCELLED_COMMENT_MS = FORCED_EXIT_MS - EXIT_RESERVE_MS - CLOUDWATCH_CANCEL_BUDGET_MS - SLACK_CANCELLED_MS;
