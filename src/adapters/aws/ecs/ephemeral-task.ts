// A one-off operations task for a `task-definition` target: RunTask with execute command enabled, wait (on the
// injected clock, bounded) until the task and its ExecuteCommandAgent are RUNNING, StopTask at the end (bounded
// when the run itself stops the task, so a cancelled job still exits inside the runner's kill window).
import { RunTaskCommand, StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { Clock } from '../../../ports/clock.js';
import type { EcsTarget } from '../../../runbook/model.js';
import { lastSegment } from './arn.js';
import { taskDefinitionNeedsNetwork } from './prerequisites.js';
import { describeTasks, execReadiness, TaskNotReadyError, type SelectedTask } from './task-selection.js';

export const DEFAULT_READY_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_READY_POLL_MS = 5_000;
/**
 * The bounds of dispose()'s StopTask, SDK retries included; one that does not answer in time is left to the
 * post: step, which reads the task from the saved state. After a cancel, dispose() runs once the step stopped
 * and the transcript closed (CLOUDWATCH_CANCEL_BUDGET_MS from the signal in src/run/cancel-budget.ts), before
 * Slack and the result comment, which take what is left before FORCED_EXIT_MS. That table has no share for it
 * yet, so this is local: short enough to leave the comment most of its share.
 */
export const STOP_TASK_CANCELLED_MS = 500;
export const STOP_TASK_TIMEOUT_MS = 10_000;

export interface ReadyWait {
  clock: Clock;
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

export async function runEphemeralTask(ecs: ECSClient, target: EcsTarget, signal?: AbortSignal): Promise<string> {
  if (!target.taskDefinition) throw new Error(`target "${target.name}" names no task-definition`);
  if (!target.subnets?.length) throw new TaskNotReadyError(taskDefinitionNeedsNetwork(target));
  const response = await ecs.send(
    new RunTaskCommand({
      cluster: target.cluster,
      taskDefinition: target.taskDefinition,
      count: 1,
      enableExecuteCommand: true,
      startedBy: 'opsgate',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: target.subnets,
          ...(target.securityGroups?.length ? { securityGroups: target.securityGroups } : {}),
          assignPublicIp: target.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
    }),
    { abortSignal: signal },
  );
  const arn = response.tasks?.[0]?.taskArn;
  if (!arn) {
    const reasons = (response.failures ?? []).map((f) => `${f.reason ?? 'failed'}${f.detail ? ` (${f.detail})` : ''}`).join('; ');
    throw new TaskNotReadyError(`target "${target.name}": RunTask of ${target.taskDefinition} in cluster ${target.cluster} started no task: ${reasons || 'no reason given'}`);
  }
  return arn;
}

/** Polls DescribeTasks until the task can take ECS Exec; fails when it stops or the bound passes. */
export async function waitUntilExecReady(ecs: ECSClient, target: EcsTarget, taskArn: string, wait: ReadyWait): Promise<SelectedTask> {
  const timeoutMs = wait.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = wait.clock.now().getTime() + timeoutMs;
  let last = 'not described yet';
  for (;;) {
    const [task] = await describeTasks(ecs, target.cluster, [taskArn], wait.signal);
    if (task?.lastStatus === 'STOPPED') {
      throw new TaskNotReadyError(`target "${target.name}": one-off task ${lastSegment(taskArn)} stopped before it was ready: ${task.stoppedReason ?? task.stopCode ?? 'no reason given'}`);
    }
    if (task) {
      const verdict = execReadiness(task, target);
      if (typeof verdict !== 'string') return verdict;
      last = verdict;
    }
    if (wait.clock.now().getTime() >= deadline) {
      throw new TaskNotReadyError(`target "${target.name}": one-off task ${lastSegment(taskArn)} was not ready for ECS Exec within ${Math.round(timeoutMs / 1000)} s (${last})`);
    }
    await wait.clock.sleep(wait.pollMs ?? DEFAULT_READY_POLL_MS, wait.signal);
  }
}

/** StopTask; with `timeoutMs` the call (retries included) is aborted and rejected once that much real time passed. */
export async function stopEphemeralTask(ecs: ECSClient, cluster: string, taskArn: string, reason: string, timeoutMs?: number): Promise<void> {
  const command = new StopTaskCommand({ cluster, task: taskArn, reason: reason.slice(0, 255) });
  if (timeoutMs === undefined) return void (await ecs.send(command));
  // Real time on purpose: the bound is the runner's kill window, not the injected clock.
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`ecs:StopTask did not answer within ${timeoutMs / 1000} s`));
      abort.abort();
    }, timeoutMs);
  });
  try {
    await Promise.race([ecs.send(command, { abortSignal: abort.signal }), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
