// Builds the merge phase from the runner's environment. (Filled in by the merge-phase work.)
import type { ActionContext } from './context.js';
import type { PhaseResult } from '../usecases/phase-result.js';

export async function runFromAction(_context: ActionContext): Promise<PhaseResult> {
  throw new Error('The merge phase is not built yet.');
}

/** The post: step. Finishes what the main step could not (ephemeral tasks, a cancelled comment). */
export async function postFromAction(_context: ActionContext): Promise<void> {}
