// The action's composition root: reads the runner's environment once, picks the phase, writes the outputs.
// The only place that sets the exit status.
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readActionInputs } from './action/action-inputs.js';
import type { ActionContext } from './action/context.js';
import { createCoreReporter } from './action/core-reporter.js';
import { planFromAction } from './action/plan-action.js';
import { postFromAction, runFromAction } from './action/run-action.js';
import { phaseFor } from './usecases/event.js';
import { RefusalError, refuse, unexpected, type Outcome } from './run/outcome.js';
import { errorText } from './run/error-text.js';
import { FORCED_EXIT_MS } from './run/cancel-budget.js';
import type { PhaseResult } from './usecases/phase-result.js';

// After the first SIGINT/SIGTERM the process exits within FORCED_EXIT_MS, whatever is still waiting (a step that
// ignores SIGTERM, a slow API): the runner sends SIGTERM 7.5 s after SIGINT and kills 2.5 s later, and asks for an
// exit within about 5 s (../shared/design/github-facts.md §7). How the time is shared: src/run/cancel-budget.ts.
// The post: step posts what could not be posted in time.

/** One abort signal for the whole job, and the hard exit deadline that starts with the first signal. */
interface Cancellation {
  signal: AbortSignal;
  msUntilForcedExit(): number;
  /** Called once the real outputs are written, so the deadline does not write them again. */
  outputsWritten(): void;
}

function watchForCancellation(): Cancellation {
  const controller = new AbortController();
  let forcedExitAt = Infinity;
  let written = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return; // SIGTERM after SIGINT: already on the way out
    forcedExitAt = Date.now() + FORCED_EXIT_MS;
    // Unref'd: a run that finishes in time exits on its own; this only fires when something still hangs.
    setTimeout(() => exitNow(written), FORCED_EXIT_MS).unref();
    core.warning(`Received ${signal}: the job was cancelled. Stopping the step in flight; opsgate exits within ${FORCED_EXIT_MS / 1000} s.`);
    controller.abort(new Error(`cancelled (${signal})`));
  };
  // `on`, not `once`: a repeated signal must not fall back to Node's default of dying before the outputs are written.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, msUntilForcedExit: () => forcedExitAt - Date.now(), outputsWritten: () => (written = true) };
}

/** The deadline: say the run was cancelled (unless the real outputs are out) and exit. */
function exitNow(outputsWritten: boolean): void {
  if (!outputsWritten) {
    const outcome = refuse('cancelled', `The job was cancelled and opsgate stopped waiting after ${FORCED_EXIT_MS / 1000} s. The audit transcript has what ran; the post: step posts the result comment; opsgate never resumes the run.`);
    writeOutputs({ outcome, result: { version: 1, phase: 'unknown', outcome, cancelled: true, forcedExit: true } });
  }
  process.exit(forcedExitCode(outputsWritten, process.exitCode));
}

/** The real outputs are out: their exit status (0 unless setFailed set one). Otherwise the cancelled failure. */
export function forcedExitCode(outputsWritten: boolean, exitCode: typeof process.exitCode): number {
  if (!outputsWritten) return 1;
  return typeof exitCode === 'number' ? exitCode : Number(exitCode ?? 0) || 0;
}

export async function run(): Promise<void> {
  const cancellation = watchForCancellation();
  const isPost = core.getState('isPost') === 'true';
  if (!isPost) core.saveState('isPost', 'true');

  let result: PhaseResult;
  try {
    const context = readActionContext(cancellation);
    if (isPost) {
      await postFromAction(context);
      cancellation.outputsWritten(); // the post step has no outputs of its own
      return;
    }
    const phase = phaseFor(context.eventName, context.inputs.mode);
    result = phase === 'plan' ? await planFromAction(context) : await runFromAction(context);
  } catch (error) {
    const outcome = outcomeOfThrown(error);
    result = { outcome, result: { version: 1, phase: 'unknown', outcome } };
  }
  writeOutputs(result);
  cancellation.outputsWritten();
}

/** What reached the top: a refusal the user fixes (bad input, unknown event) stays one; anything else is a bug. */
export function outcomeOfThrown(error: unknown): Outcome {
  if (error instanceof RefusalError) return refuse(error.reasonCode, error.message);
  if (error instanceof Error && error.stack) core.debug(error.stack);
  return unexpected('internal-error', errorText(error));
}

function writeOutputs({ outcome, result }: PhaseResult): void {
  core.setOutput('decision', outcome.decision);
  core.setOutput('reason-code', outcome.reasonCode);
  core.setOutput('result', JSON.stringify(result));
  report(outcome);
}

function report(outcome: Outcome): void {
  if (outcome.decision === 'proceed') core.info(`opsgate: ${outcome.reasonCode}: ${outcome.message}`);
  else core.setFailed(`opsgate ${outcome.decision === 'refuse' ? 'refused' : 'failed'} (${outcome.reasonCode}): ${outcome.message}`);
}

function readActionContext(cancellation: Cancellation): ActionContext {
  const env = process.env;
  const [owner = '', repo = ''] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo) throw new Error('GITHUB_REPOSITORY is not set ("owner/repo"): opsgate must run inside a GitHub Actions job.');
  const eventPath = env.GITHUB_EVENT_PATH;
  const payload = eventPath ? (JSON.parse(readFileSync(eventPath, 'utf8')) as Record<string, unknown>) : {};
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    inputs: readActionInputs(),
    eventName: env.GITHUB_EVENT_NAME ?? '',
    payload,
    owner,
    repo,
    sha: env.GITHUB_SHA ?? '',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    workflowRunUrl: env.GITHUB_RUN_ID ? `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    runId: `${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`,
    job: env.GITHUB_JOB,
    // A schedule's payload names no repository; its ref is the default branch (merge-trigger.ts).
    refName: env.GITHUB_REF_NAME ?? '',
    tempDir: env.RUNNER_TEMP ?? tmpdir(),
    env,
    reporter: createCoreReporter(),
    signal: cancellation.signal,
    msUntilForcedExit: cancellation.msUntilForcedExit,
  };
}
