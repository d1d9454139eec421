// Which phase an event asks for. Pure: the composition root reads the event and hands it in. A workflow that
// triggers opsgate on an event it cannot serve is the user's to fix: RefusalError (invalid-config).
import { RefusalError } from '../run/outcome.js';

export type Phase = 'plan' | 'run';
/** The `mode` input: a phase, or auto (from the event). */
export type Mode = 'auto' | Phase;

export const PLAN_EVENTS = ['pull_request', 'pull_request_review'] as const;
export const RUN_EVENTS = ['push', 'merge_group', 'workflow_dispatch', 'schedule'] as const;

/**
 * `pull_request_target` is not guessed: it runs with the base repository's write token and secrets for PRs from
 * anyone, so the workflow must say `mode: plan` itself (docs/examples/opsgate-plan-forks.yml).
 */
export const PULL_REQUEST_TARGET_NEEDS_MODE =
  'opsgate does not pick a phase on the "pull_request_target" event by itself: that event runs with the base ' +
  'repository\'s write token and secrets on pull requests from anyone, so set the input "mode" to plan in this workflow ' +
  '(the PR phase reads the pull request through the API and runs nothing; see docs/examples/opsgate-plan-forks.yml), ' +
  'and never check out the pull request head in it.';

export function phaseFor(eventName: string, mode: Mode): Phase {
  if (mode !== 'auto') return mode;
  if (eventName === 'pull_request_target') throw new RefusalError('invalid-config', PULL_REQUEST_TARGET_NEEDS_MODE);
  if ((PLAN_EVENTS as readonly string[]).includes(eventName)) return 'plan';
  if ((RUN_EVENTS as readonly string[]).includes(eventName)) return 'run';
  throw new RefusalError(
    'invalid-config',
    `opsgate does not know what to do on the "${eventName}" event. Trigger it on pull_request / pull_request_review ` +
      '(plan) or push / merge_group (run), or set the input "mode" to plan or run.',
  );
}
