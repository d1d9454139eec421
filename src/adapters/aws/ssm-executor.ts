// StepExecutor for SSM Run Command (AWS-RunShellScript). Clients are handed in by the composition root.
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SsmTarget, Step } from '../../runbook/model.js';
import type { StepExecutor } from '../../ports/executor.js';
import { systemClock } from '../../ports/clock.js';
import { deliveryTimeoutSeconds, executionTimeoutSeconds, stepDurationBoundMs } from './ssm-limits.js';
import { DEFAULT_CONSISTENCY_WINDOW_MS, DEFAULT_POLL_SCHEDULE, type PollSchedule, type Sleep } from './ssm-poll.js';
import { resolveSsmTarget } from './ssm-prepare.js';
import { OUTPUT_READ_SLACK_MS, runSsmStep, type SsmStepDeps } from './ssm-run-step.js';
import { planSends } from './ssm-targets.js';

export interface SsmExecutorOptions {
  ssm: SSMClient;
  /** Required when the target has an output log group: the full output is read from there. */
  logs?: CloudWatchLogsClient;
  target: SsmTarget;
  /** SendCommand TimeoutSeconds (how long an instance has to pick the command up), default 600, 30–2,592,000. */
  deliveryTimeoutSeconds?: number;
  /** Defaults to the system clock's; an abort may reject it (the executor then cancels the command). */
  sleep?: Sleep;
  poll?: Partial<PollSchedule>;
  /** How long SSM may take to show a command or invocation it accepted (default 30 s). */
  consistencyWindowMs?: number;
}

export function createSsmExecutor(options: SsmExecutorOptions): StepExecutor {
  const { target } = options;
  if (target.outputLogGroup && !options.logs) {
    throw new Error(`SSM target "${target.name}" has output-log-group ${target.outputLogGroup}, but no CloudWatch Logs client was given to read it`);
  }
  const deps: SsmStepDeps = {
    ssm: options.ssm,
    logs: options.logs,
    target,
    deliverySeconds: deliveryTimeoutSeconds(options.deliveryTimeoutSeconds),
    sleep: options.sleep ?? systemClock.sleep,
    schedule: { ...DEFAULT_POLL_SCHEDULE, ...options.poll },
    consistencyWindowMs: options.consistencyWindowMs ?? DEFAULT_CONSISTENCY_WINDOW_MS,
    now: () => Date.now(),
  };
  /** Instances prepare() found for a tag target: the fleet size for the duration bound and the delivery timeout. */
  let resolvedCount: number | undefined;
  return {
    async prepare(signal) {
      const resolved = await resolveSsmTarget(options.ssm, target, signal);
      resolvedCount = resolved.members.length > 0 ? resolved.members.length : undefined;
      return resolved;
    },
    // A tag target's rounds come from what prepare() found; a resource group's are unknown before sending.
    runStep: (step, context) => runSsmStep(step, context, { ...deps, fleetSize: resolvedCount }),
    maxStepDurationMs(step: Step): number {
      const plan = planSends(target);
      const ids = target.instanceIds ?? [];
      const sizes = ids.length > 0 ? plan.batches.map((b) => ('InstanceIds' in b.selector ? b.selector.InstanceIds.length : 0)) : resolvedCount !== undefined ? [resolvedCount] : undefined;
      return stepDurationBoundMs({
        batchSizes: sizes,
        concurrency: plan.batches[0]!.MaxConcurrency,
        deliverySeconds: deps.deliverySeconds,
        executionSeconds: executionTimeoutSeconds(step),
        slackMs: plan.batches.length * deps.schedule.capMs + OUTPUT_READ_SLACK_MS,
      });
    },
    async dispose() {},
  };
}
