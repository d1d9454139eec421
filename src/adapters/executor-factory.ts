// The one place that turns a target from the repo config into a step executor. A target kind this build has no
// executor for is a config problem the user fixes (RefusalError, invalid-config), never run elsewhere.
import type { ExecutorFactory, StepExecutor } from '../ports/executor.js';
import type { Target } from '../runbook/model.js';
import { RefusalError } from '../run/outcome.js';

export type ExecutorBuilders = { [K in Target['kind']]?: (target: Extract<Target, { kind: K }>) => StepExecutor };

export function createExecutorFactory(builders: ExecutorBuilders): ExecutorFactory {
  return (target) => {
    const build = builders[target.kind] as ((t: Target) => StepExecutor) | undefined;
    if (!build) {
      const available = Object.keys(builders).join(', ') || 'none';
      throw new RefusalError(
        'invalid-config',
        `Target "${target.name}" is of kind "${target.kind}", which this build of opsgate cannot run (available: ${available}). Point the runbook at a target of an available kind, or use an opsgate release that runs ${target.kind}.`,
      );
    }
    return build(target);
  };
}
