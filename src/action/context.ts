// Everything a phase needs from the runner's environment, read once in main.ts.
import type { ActionInputs } from '../config/action-inputs.js';
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
  /** "<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>" */
  runId: string;
  /** RUNNER_TEMP or the OS temp dir: where fallback transcripts go. */
  tempDir: string;
  env: NodeJS.ProcessEnv;
  reporter: Reporter;
  /** Aborted when the runner cancels the job (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** After a cancellation: milliseconds left before main.ts writes the cancelled outputs and exits; else Infinity. */
  msUntilForcedExit?(): number;
}
