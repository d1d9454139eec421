// Which phase an event asks for. Pure: the composition root reads the event and hands it in.
import type { Mode } from '../config/action-inputs.js';

export type Phase = 'plan' | 'run';

export const PLAN_EVENTS = ['pull_request', 'pull_request_review'] as const;
export const RUN_EVENTS = ['push', 'merge_group', 'workflow_dispatch', 'schedule'] as const;

export function phaseFor(eventName: string, mode: Mode): Phase {
  if (mode !== 'auto') return mode;
  if ((PLAN_EVENTS as readonly string[]).includes(eventName)) return 'plan';
  if ((RUN_EVENTS as readonly string[]).includes(eventName)) return 'run';
  throw new Error(
    `opsgate does not know what to do on the "${eventName}" event. Trigger it on pull_request / pull_request_review ` +
      '(plan) or push / merge_group (run), or set the input "mode" to plan or run.',
  );
}
