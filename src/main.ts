// The action's composition root: reads the runner's environment once, picks the phase, writes the outputs.
// The only place that sets the exit status.
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readActionInputs } from './config/action-inputs.js';
import type { ActionContext } from './action/context.js';
import { createCoreReporter } from './action/core-reporter.js';
import { planFromAction } from './action/plan-action.js';
import { postFromAction, runFromAction } from './action/run-action.js';
import { phaseFor } from './usecases/event.js';
import { unexpected, type Outcome } from './run/outcome.js';
import type { PhaseResult } from './usecases/phase-result.js';

export async function run(): Promise<void> {
  const controller = new AbortController();
  const cancel = (signal: string) => {
    core.warning(`Received ${signal}: the job was cancelled. Stopping the step in flight.`);
    controller.abort(new Error(`cancelled (${signal})`));
  };
  process.once('SIGINT', () => cancel('SIGINT'));
  process.once('SIGTERM', () => cancel('SIGTERM'));

  const isPost = core.getState('isPost') === 'true';
  if (!isPost) core.saveState('isPost', 'true');

  let result: PhaseResult;
  try {
    const context = readActionContext(controller.signal);
    if (isPost) {
      await postFromAction(context);
      return;
    }
    const phase = phaseFor(context.eventName, context.inputs.mode);
    result = phase === 'plan' ? await planFromAction(context) : await runFromAction(context);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Error && error.stack) core.debug(error.stack);
    const outcome = unexpected('internal-error', message);
    result = { outcome, result: { version: 1, phase: 'unknown', outcome } };
  }
  writeOutputs(result);
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

function readActionContext(signal: AbortSignal): ActionContext {
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
    tempDir: env.RUNNER_TEMP ?? tmpdir(),
    env,
    reporter: createCoreReporter(),
    signal,
  };
}
