// Builds the PR phase from the runner's environment. (Filled in by the PR-phase work.)
import type { ActionContext } from './context.js';
import type { PhaseResult } from '../usecases/phase-result.js';

export async function planFromAction(_context: ActionContext): Promise<PhaseResult> {
  throw new Error('The pull-request phase is not built yet.');
}
