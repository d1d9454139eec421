// The one place that turns a target from the repo config into a step executor. A target kind whose
// executor is not available refuses clearly (reason executor-unavailable) instead of running elsewhere.
import type { ExecutorFactory, StepExecutor } from '../ports/executor.js';
import type { Target } from '../runbook/model.js';

/** Its message is complete for users, so it keeps the plain Error name (errorText would prefix a class name). */
export class ExecutorUnavailableError extends Error {}

export type ExecutorBuilders = { [K in Target['kind']]?: (target: Extract<Target, { kind: K }>) => StepExecutor };

export function createExecutorFactory(builders: ExecutorBuilders): ExecutorFactory {
  return (target) => {
    const build = builders[target.kind] as ((t: Target) => StepExecutor) | undefined;
    if (!build) {
      throw new ExecutorUnavailableError(
        `Target "${target.name}" is of kind "${target.kind}", which this build of opsgate cannot run yet (available: ${Object.keys(builders).join(', ') || 'none'}).`,
      );
    }
    return build(target);
  };
}
