// Picks the task and container an ECS Exec step runs in (ListTasks → DescribeTasks), with errors that
// say what to fix. ECS facts: /work/shared/design/aws-facts.md section 2.
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import type { EcsTarget } from '../../runbook/model.js';

export interface SelectedTask {
  clusterArn: string;
  taskArn: string;
  containerName: string;
  /** Docker runtime id; part of the KMS target id `ecs:<cluster>_<taskId>_<runtimeId>`. */
  runtimeId: string;
}

export async function selectExecTask(ecs: ECSClient, target: EcsTarget, signal?: AbortSignal): Promise<SelectedTask> {
  const candidates = target.task ? [target.task] : await listRunningTasks(ecs, target, signal);
  if (candidates.length === 0) {
    const scope = target.service ? `service "${target.service}" in cluster "${target.cluster}"` : `cluster "${target.cluster}"`;
    throw new Error(`target "${target.name}": no RUNNING task in ${scope}`);
  }
  const described = await ecs.send(
    new DescribeTasksCommand({ cluster: target.cluster, tasks: candidates.slice(0, 100) }),
    { abortSignal: signal },
  );
  const problems: string[] = [];
  for (const failure of described.failures ?? []) problems.push(`${failure.arn ?? '?'}: ${failure.reason ?? 'failed'}`);
  // Stable choice: the task with the lowest ARN among the ready ones.
  const tasks = [...(described.tasks ?? [])].sort((a, b) => (a.taskArn ?? '').localeCompare(b.taskArn ?? ''));
  for (const task of tasks) {
    const choice = readyContainer(task, target, problems);
    if (choice) return choice;
  }
  throw new Error(`target "${target.name}": no task is ready for ECS Exec (${problems.join('; ') || 'none described'})`);
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

function readyContainer(task: Task, target: EcsTarget, problems: string[]): SelectedTask | undefined {
  const arn = task.taskArn ?? '?';
  if (task.lastStatus !== 'RUNNING') return void problems.push(`${arn}: lastStatus ${task.lastStatus ?? 'unknown'}`);
  if (task.enableExecuteCommand !== true) {
    return void problems.push(`${arn}: started without enableExecuteCommand (start a new task with it enabled)`);
  }
  const containers = task.containers ?? [];
  const container = target.container
    ? containers.find((c) => c.name === target.container)
    : containers.length === 1
      ? containers[0]
      : undefined;
  if (!container) {
    const names = containers.map((c) => c.name).join(', ');
    return void problems.push(
      target.container ? `${arn}: no container "${target.container}" (has ${names})` : `${arn}: several containers (${names}); set target.container`,
    );
  }
  const agent = container.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent');
  if (agent?.lastStatus !== 'RUNNING') {
    return void problems.push(`${arn}: ExecuteCommandAgent in "${container.name}" is ${agent?.lastStatus ?? 'missing'}`);
  }
  return {
    clusterArn: task.clusterArn ?? target.cluster,
    taskArn: arn,
    containerName: container.name ?? '',
    runtimeId: container.runtimeId ?? '',
  };
}
