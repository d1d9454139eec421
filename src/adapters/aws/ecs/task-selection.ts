// Picks the task and container an ECS Exec step runs in (ListTasks → DescribeTasks): RUNNING, started with
// execute command enabled, ExecuteCommandAgent RUNNING. Otherwise it fails before anything runs, naming the
// missing prerequisite and the fix.
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { EcsTarget } from '../../../runbook/model.js';
import { agentNotRunning, execNotEnabled, noRunningTask, noSuchContainer, severalContainers } from './prerequisites.js';

export interface SelectedTask {
  clusterArn: string;
  taskArn: string;
  containerName: string;
  /** Container runtime id; part of the KMS target id `ecs:<cluster>_<taskId>_<runtimeId>`. */
  runtimeId: string;
}

export class TaskNotReadyError extends Error {
  override name = 'TaskNotReadyError';
}

export async function selectExecTask(ecs: ECSClient, target: EcsTarget, signal?: AbortSignal): Promise<SelectedTask> {
  const candidates = target.task ? [target.task] : await listRunningTasks(ecs, target, signal);
  if (candidates.length === 0) throw new TaskNotReadyError(noRunningTask(target));
  const tasks = await describeTasks(ecs, target.cluster, candidates.slice(0, 100), signal);
  if (tasks.length === 0) throw new TaskNotReadyError(noRunningTask(target));
  const problems: string[] = [];
  // Stable choice: the ready task with the lowest ARN.
  for (const task of [...tasks].sort((a, b) => (a.taskArn ?? '').localeCompare(b.taskArn ?? ''))) {
    const verdict = execReadiness(task, target);
    if (typeof verdict !== 'string') return verdict;
    problems.push(verdict);
  }
  throw new TaskNotReadyError(problems.length === 1 ? problems[0]! : `no task is ready for ECS Exec: ${problems.join(' | ')}`);
}

export async function describeTasks(ecs: ECSClient, cluster: string, arns: string[], signal?: AbortSignal): Promise<Task[]> {
  const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }), { abortSignal: signal });
  return described.tasks ?? [];
}

async function listRunningTasks(ecs: ECSClient, target: EcsTarget, signal?: AbortSignal): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster: target.cluster,
        desiredStatus: 'RUNNING',
        ...(target.service ? { serviceName: target.service } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
      { abortSignal: signal },
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken && arns.length < 100);
  return arns;
}

/** The container to exec into, or the message saying why this task cannot be used. */
export function execReadiness(task: Task, target: EcsTarget): SelectedTask | string {
  const arn = task.taskArn ?? '?';
  if (task.lastStatus !== 'RUNNING') return `task ${arn} is ${task.lastStatus ?? 'in an unknown state'}, not RUNNING`;
  if (task.enableExecuteCommand !== true) return execNotEnabled(target, arn);
  const containers = task.containers ?? [];
  const names = containers.map((c) => c.name ?? '?');
  const container = target.container ? containers.find((c) => c.name === target.container) : containers.length === 1 ? containers[0] : undefined;
  if (!container) return target.container ? noSuchContainer(target, arn, names) : severalContainers(target, arn, names);
  const agent = container.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent');
  if (agent?.lastStatus !== 'RUNNING') return agentNotRunning(target, arn, container.name ?? '?', agent?.lastStatus);
  return {
    clusterArn: task.clusterArn ?? target.cluster,
    taskArn: arn,
    containerName: container.name ?? '',
    runtimeId: container.runtimeId ?? '',
  };
}
