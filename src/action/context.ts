// Everything a phase needs from the runner's environment, read once in main.ts.
import type { ActionInputs } from './action-inputs.js';
import type { Reporter } from '../ports/reporter.js';

export interface ActionContext {
  inputs: ActionInputs;
  eventName: string;
  /** The webhook payload from GITHUB_EVENT_PATH. */
  payload: Record<string, unknown>;
  owner: string;
  repo: string;
  /** GITHUB_SHA. */
  sha: string;
  /** e.g. https://api.github.com (GITHUB_API_URL). */
  apiUrl: string;
  /** e.g. https://github.com/acme/ops/actions/runs/123 */
  workflowRunUrl?: string;
  /** "<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>": shared by every job of the run attempt. */
  runId: string;
  /** GITHUB_JOB: which job of the run this is. */
  job?: string;
  /** GITHUB_REF_NAME: for a schedule, the default branch. */
  refName?: string;
  /** RUNNER_TEMP or the OS temp dir: where fallback transcripts go. */
  tempDir: string;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  /** Aborted when the runner cancels the job (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** After a cancellation: milliseconds left before main.ts writes the cancelled outputs and exits; else Infinity. */
  msUntilForcedExit?(): number;
}
