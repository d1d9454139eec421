// The one place that reads action inputs. test/unit/action-inputs.test.ts checks it against action.yml.
// An input the workflow sets wrong is the user's to fix: a RefusalError (invalid-config), not an error.
import * as core from '@actions/core';
import { RefusalError } from '../run/outcome.js';
import type { Mode } from '../usecases/event.js';

export interface ActionInputs {
  mode: Mode;
  githubToken: string;
  membersToken?: string;
  configPath: string;
  runbooksGlob: string;
  statusContext: string;
  secretEnv: string[];
  slackWebhookUrl?: string;
}

/** Names exactly as in action.yml. */
export const INPUT_NAMES = [
  'mode',
  'github-token',
  'members-token',
  'config',
  'runbooks',
  'status-context',
  'secret-env',
  'slack-webhook-url',
] as const;

export const OUTPUT_NAMES = ['decision', 'reason-code', 'result'] as const;

const MODES: readonly Mode[] = ['auto', 'plan', 'run'];

export function readActionInputs(): ActionInputs {
  const mode = (core.getInput('mode') || 'auto') as Mode;
  if (!MODES.includes(mode)) {
    throw new RefusalError('invalid-config', `Input "mode" is "${mode}"; use one of: ${MODES.join(', ')} (auto picks the phase from the event).`);
  }
  const githubToken = core.getInput('github-token');
  if (!githubToken) {
    throw new RefusalError('invalid-config', 'Input "github-token" is empty. Pass `github-token: ${{ github.token }}` (the default) or a token with pull-requests: write.');
  }
  const membersToken = core.getInput('members-token') || undefined;
  const slackWebhookUrl = core.getInput('slack-webhook-url') || undefined;
  for (const secret of [githubToken, membersToken, slackWebhookUrl]) if (secret) core.setSecret(secret);
  const secretEnv = core
    .getInput('secret-env')
    .split(/[\s,]+/)
    .filter(Boolean);
  return {
    mode,
    githubToken,
    membersToken,
    configPath: core.getInput('config') || '.github/opsgate.yml',
    runbooksGlob: core.getInput('runbooks') || 'runbooks/**/*.{yml,yaml}',
    statusContext: core.getInput('status-context') || 'opsgate/approval',
    secretEnv,
    slackWebhookUrl,
  };
}
