// ECS control-plane stand-in (awsJson1_1): ListTasks (cluster, serviceName, desiredStatus, pagination),
// DescribeTasks (cluster), ExecuteCommand, RunTask and StopTask. Every request is checked against the official
// ECS model first. ExecuteCommand registers a session with the agent server.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsJsonError, loadServiceModel, readAwsJsonRequest, sendAwsJson, sendAwsJsonError, validateInput } from '../smithy-validator.js';
import type { AgentServer } from './agent-server.js';

const ECS_MODEL = loadServiceModel('/work/shared/aws-models/ecs-2014-11-13.json');
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
const ACCOUNT = 'arn:aws:ecs:eu-west-1:123456789012';

export interface SimContainer {
  name: string;
  runtimeId: string;
  agentStatus: string;
}

export interface SimTask {
  taskArn: string;
  clusterArn: string;
  lastStatus: string;
  desiredStatus?: string;
  enableExecuteCommand: boolean;
  /** Service the task belongs to (its `group` is service:<name>). */
  service?: string;
  containers: SimContainer[];
  stoppedReason?: string;
  /** RunTask tasks: DescribeTasks calls left before the task, then its agent, reach RUNNING. */
  startupPolls?: number;
  behaviour?: SimTaskDefinition['behaviour'];
}

export interface SimTaskDefinition {
  family: string;
  containers: string[];
  /** `stops`: the task stops during start-up; `agent-stuck`: the exec agent never reaches RUNNING. */
  behaviour?: 'ok' | 'stops' | 'agent-stuck';
}

export interface EcsApiOptions {
  agent: AgentServer;
  tasks: SimTask[];
  taskDefinitions?: SimTaskDefinition[];
  /** When set, sessions demand KMS with this key (cluster executeCommandConfiguration.kmsKeyId). */
  kmsKeyId?: string;
  /** Override the agent's own identity (to simulate a target-id mismatch). */
  agentTargetId?: string;
  /** ListTasks page size (the service's default is 100). */
  pageSize?: number;
  /** StopTask requests are recorded but never answered (a hung control plane). */
  stopTaskHangs?: boolean;
  /** Errors the next ExecuteCommand calls answer with, in order. */
  execErrors?: Array<{ type: string; message: string }>;
}

export interface EcsApi {
  endpoint: string;
  readonly calls: Array<{ operation: string; body: Record<string, unknown> }>;
  readonly violations: string[];
  options: EcsApiOptions;
  close(): Promise<void>;
}

export async function startEcsApi(options: EcsApiOptions): Promise<EcsApi> {
  const calls: Array<{ operation: string; body: Record<string, unknown> }> = [];
  const violations: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const { operation, body } = await readAwsJsonRequest(req, TARGET_PREFIX);
        calls.push({ operation, body: body as Record<string, unknown> });
        const problems = validateInput(ECS_MODEL, operation, body);
        if (problems.length) {
          violations.push(`${operation}: ${problems.join('; ')}`);
          throw new AwsJsonError('InvalidParameterException', problems.join('; '));
        }
        if (operation === 'StopTask' && options.stopTaskHangs) return; // left open until close()
        sendAwsJson(res, 200, handle(operation, body as Record<string, unknown>, options));
      } catch (error) {
        if (error instanceof AwsJsonError) return sendAwsJsonError(res, error.type, error.message, error.status);
        sendAwsJsonError(res, 'ServerException', String(error), 500);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    violations,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function handle(operation: string, body: Record<string, unknown>, options: EcsApiOptions): unknown {
  switch (operation) {
    case 'ListTasks':
      return listTasks(body, options);
    case 'DescribeTasks':
      return describeTasks(body, options);
    case 'ExecuteCommand':
      return executeCommand(body, options);
    case 'RunTask':
      return runTask(body, options);
    case 'StopTask':
      return stopTask(body, options);
    default:
      throw new AwsJsonError('InvalidParameterException', `operation ${operation} is not simulated`);
  }
}

const clusterName = (arnOrName: string) => arnOrName.split('/').pop() ?? arnOrName;
const inCluster = (task: SimTask, cluster: unknown) => clusterName(task.clusterArn) === clusterName(String(cluster ?? 'default'));
const matchesTask = (task: SimTask, id: string) => task.taskArn === id || task.taskArn.endsWith(`/${id}`);

function listTasks(body: Record<string, unknown>, options: EcsApiOptions): unknown {
  const desired = String(body['desiredStatus'] ?? 'RUNNING');
  const matching = options.tasks.filter(
    (t) => inCluster(t, body['cluster']) && (t.desiredStatus ?? 'RUNNING') === desired && (body['serviceName'] === undefined || t.service === body['serviceName']),
  );
  const size = Math.min(Number(body['maxResults'] ?? 100), options.pageSize ?? 100);
  const start = body['nextToken'] ? Number(Buffer.from(String(body['nextToken']), 'base64').toString()) : 0;
  const page = matching.slice(start, start + size).map((t) => t.taskArn);
  const next = start + size < matching.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return { taskArns: page, ...(next ? { nextToken: next } : {}) };
}

function describeTasks(body: Record<string, unknown>, options: EcsApiOptions): unknown {
  const wanted = (body['tasks'] as string[]) ?? [];
  const found = wanted.map((id) => options.tasks.find((t) => matchesTask(t, id) && inCluster(t, body['cluster'])));
  for (const task of found) if (task) advanceStartup(task);
  return {
    tasks: found.filter((t): t is SimTask => t !== undefined).map(describe),
    failures: wanted.filter((_, i) => !found[i]).map((arn) => ({ arn, reason: 'MISSING' })),
  };
}

function describe(task: SimTask): unknown {
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus ?? 'RUNNING',
    enableExecuteCommand: task.enableExecuteCommand,
    ...(task.service ? { group: `service:${task.service}` } : {}),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    containers: task.containers.map((c) => ({
      name: c.name,
      runtimeId: c.runtimeId,
      lastStatus: task.lastStatus,
      managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: c.agentStatus }],
    })),
  };
}

function executeCommand(body: Record<string, unknown>, options: EcsApiOptions): unknown {
  const injected = options.execErrors?.shift();
  if (injected) throw new AwsJsonError(injected.type, injected.message);
  if (body['interactive'] !== true) throw new AwsJsonError('InvalidParameterException', 'Interactive is the only mode supported currently.');
  const task = options.tasks.find((t) => matchesTask(t, String(body['task'])) && inCluster(t, body['cluster']));
  if (!task) throw new AwsJsonError('InvalidParameterException', 'The specified task was not found.');
  const container = body['container'] ? task.containers.find((c) => c.name === body['container']) : task.containers.length === 1 ? task.containers[0] : undefined;
  if (!container) throw new AwsJsonError('InvalidParameterException', 'Task has multiple containers; specify one with the container parameter.');
  if (task.lastStatus !== 'RUNNING' || !task.enableExecuteCommand || container.agentStatus !== 'RUNNING') {
    throw new AwsJsonError(
      'InvalidParameterException',
      "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.",
    );
  }
  const sessionId = `ecs-execute-command-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
  const tokenValue = randomUUID();
  const taskId = task.taskArn.split('/').pop() ?? '';
  const targetId = options.agentTargetId ?? `ecs:${clusterName(task.clusterArn)}_${taskId}_${container.runtimeId}`;
  options.agent.addSession({ sessionId, tokenValue, command: String(body['command']), ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId, targetId } : {}) });
  return {
    clusterArn: task.clusterArn,
    containerArn: `${task.clusterArn.replace(':cluster/', ':container/')}/${taskId}/${randomUUID()}`,
    containerName: container.name,
    interactive: true,
    taskArn: task.taskArn,
    session: { sessionId, streamUrl: options.agent.url(sessionId), tokenValue },
  };
}

function runTask(body: Record<string, unknown>, options: EcsApiOptions): unknown {
  const family = String(body['taskDefinition']).split('/').pop()?.split(':')[0];
  const definition = options.taskDefinitions?.find((d) => d.family === family);
  if (!definition) throw new AwsJsonError('ClientException', `Unable to describe task definition ${String(body['taskDefinition'])}.`);
  const cluster = clusterName(String(body['cluster'] ?? 'default'));
  const id = randomUUID().replace(/-/g, '');
  const task: SimTask = {
    taskArn: `${ACCOUNT}:task/${cluster}/${id}`,
    clusterArn: `${ACCOUNT}:cluster/${cluster}`,
    lastStatus: 'PROVISIONING',
    enableExecuteCommand: body['enableExecuteCommand'] === true,
    containers: definition.containers.map((name, i) => ({ name, runtimeId: `${id}-${1000 + i}`, agentStatus: 'PENDING' })),
    startupPolls: 2,
    behaviour: definition.behaviour ?? 'ok',
  };
  options.tasks.push(task);
  return { tasks: [describe(task)], failures: [] };
}

/** Each DescribeTasks of a starting task moves it on: PROVISIONING → PENDING → RUNNING, then its agent. */
function advanceStartup(task: SimTask): void {
  if (task.startupPolls === undefined || task.lastStatus === 'STOPPED') return;
  const behaviour = task.behaviour;
  if (task.startupPolls > 0) {
    task.startupPolls -= 1;
    task.lastStatus = task.startupPolls > 0 ? 'PENDING' : 'RUNNING';
    if (behaviour === 'stops' && task.startupPolls === 0) Object.assign(task, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: 'Essential container in task exited' });
    return;
  }
  if (behaviour !== 'agent-stuck') for (const container of task.containers) container.agentStatus = 'RUNNING';
}

function stopTask(body: Record<string, unknown>, options: EcsApiOptions): unknown {
  const task = options.tasks.find((t) => matchesTask(t, String(body['task'])) && inCluster(t, body['cluster']));
  if (!task) throw new AwsJsonError('InvalidParameterException', 'The referenced task was not found.');
  Object.assign(task, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: String(body['reason'] ?? 'Task stopped by user') });
  for (const container of task.containers) container.agentStatus = 'STOPPED';
  return { task: describe(task) };
}
