// ECS control-plane stand-in (awsJson1_1) for ListTasks, DescribeTasks and ExecuteCommand, validating
// every request against the official ECS model. ExecuteCommand registers a session with the agent server.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AwsJsonError,
  loadServiceModel,
  readAwsJsonRequest,
  sendAwsJson,
  sendAwsJsonError,
  validateInput,
} from '../smithy-validator.js';
import type { AgentServer } from './agent-server.js';

const ECS_MODEL = loadServiceModel('/work/shared/aws-models/ecs-2014-11-13.json');
const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';

export interface SimTask {
  taskArn: string;
  clusterArn: string;
  lastStatus: string;
  enableExecuteCommand: boolean;
  containers: Array<{ name: string; runtimeId: string; agentStatus: string }>;
}

export interface EcsApiOptions {
  agent: AgentServer;
  tasks: SimTask[];
  /** When set, sessions demand KMS with this key (cluster executeCommandConfiguration.kmsKeyId). */
  kmsKeyId?: string;
}

export interface EcsApi {
  endpoint: string;
  readonly calls: Array<{ operation: string; body: unknown }>;
  options: EcsApiOptions;
  close(): Promise<void>;
}

export async function startEcsApi(options: EcsApiOptions): Promise<EcsApi> {
  const calls: Array<{ operation: string; body: unknown }> = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const { operation, body } = await readAwsJsonRequest(req, TARGET_PREFIX);
        calls.push({ operation, body });
        const violations = validateInput(ECS_MODEL, operation, body);
        if (violations.length) throw new AwsJsonError('InvalidParameterException', violations.join('; '));
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
    options,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function handle(operation: string, body: Record<string, unknown>, options: EcsApiOptions): unknown {
  const tasks = options.tasks;
  switch (operation) {
    case 'ListTasks':
      return { taskArns: tasks.filter((t) => t.lastStatus === 'RUNNING').map((t) => t.taskArn) };
    case 'DescribeTasks': {
      const wanted = (body['tasks'] as string[]) ?? [];
      const found = wanted.map((id) => tasks.find((t) => t.taskArn === id || t.taskArn.endsWith(`/${id}`)));
      return {
        tasks: found.filter((t): t is SimTask => t !== undefined).map(describe),
        failures: wanted.filter((_, i) => !found[i]).map((arn) => ({ arn, reason: 'MISSING' })),
      };
    }
    case 'ExecuteCommand':
      return executeCommand(body, options);
    default:
      throw new AwsJsonError('InvalidParameterException', `operation ${operation} is not simulated`);
  }
}

function describe(task: SimTask): unknown {
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    lastStatus: task.lastStatus,
    desiredStatus: 'RUNNING',
    enableExecuteCommand: task.enableExecuteCommand,
    containers: task.containers.map((c) => ({
      name: c.name,
      runtimeId: c.runtimeId,
      lastStatus: 'RUNNING',
      managedAgents: [{ name: 'ExecuteCommandAgent', lastStatus: c.agentStatus }],
    })),
  };
}

function executeCommand(body: Record<string, unknown>, options: EcsApiOptions): unknown {
  if (body['interactive'] !== true) {
    throw new AwsJsonError('InvalidParameterException', 'Interactive is the only mode supported currently.');
  }
  const task = options.tasks.find((t) => t.taskArn === body['task']);
  if (!task) throw new AwsJsonError('InvalidParameterException', 'The specified task was not found.');
  const container = task.containers.find((c) => c.name === (body['container'] ?? task.containers[0]?.name));
  if (!task.enableExecuteCommand || !container || container.agentStatus !== 'RUNNING') {
    throw new AwsJsonError(
      'InvalidParameterException',
      "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running.",
    );
  }
  const sessionId = `ecs-execute-command-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
  const tokenValue = randomUUID();
  const cluster = task.clusterArn.split('/').pop() ?? '';
  const taskId = task.taskArn.split('/').pop() ?? '';
  options.agent.addSession({
    sessionId,
    tokenValue,
    command: String(body['command']),
    ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId, targetId: `ecs:${cluster}_${taskId}_${container.runtimeId}` } : {}),
  });
  return {
    clusterArn: task.clusterArn,
    containerArn: `${task.clusterArn.replace(':cluster/', ':container/')}/${taskId}/${randomUUID()}`,
    containerName: container.name,
    interactive: true,
    taskArn: task.taskArn,
    session: { sessionId, streamUrl: options.agent.url(sessionId), tokenValue },
  };
}
