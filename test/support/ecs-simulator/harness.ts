// Test helpers for the ECS Exec executor on the simulator: start the agent and ECS stand-ins with one task,
// build an executor with real SDK clients pointed at them, run a step and collect its output per stream.
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsExecutor, type EcsExecutorDeps } from '../../../src/adapters/aws/ecs/ecs-executor.js';
import { REMOTE_ROOT } from '../../../src/adapters/aws/ecs/runner-command.js';
import { systemClock, type Clock } from '../../../src/ports/clock.js';
import type { StepContext, StepResult } from '../../../src/ports/executor.js';
import type { Database, EcsTarget, ShellStep, Step } from '../../../src/runbook/model.js';
import { startAgentServer, type AgentServer, type AgentServerOptions } from './agent-server.js';
import { startEcsApi, type EcsApi, type SimTask } from './ecs-api.js';

export const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
export const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
export const APP_RUNTIME_ID = '0123456789abcdef0123456789abcdef-2531612879';
export const CREDENTIALS = { accessKeyId: 'AKIDOPSGATETEST', secretAccessKey: 'opsgate-test-secret' };
export const TARGET: EcsTarget = { kind: 'ecs', name: 'app', cluster: 'prod', service: 'api', container: 'app' };

export function defaultTask(): SimTask {
  return {
    taskArn: TASK_ARN,
    clusterArn: CLUSTER_ARN,
    lastStatus: 'RUNNING',
    enableExecuteCommand: true,
    service: 'api',
    containers: [
      { name: 'sidecar', runtimeId: 'aaaa-1', agentStatus: 'RUNNING' },
      { name: 'app', runtimeId: APP_RUNTIME_ID, agentStatus: 'RUNNING' },
    ],
  };
}

export interface Simulator {
  agent: AgentServer;
  api: EcsApi;
  ecs(): ECSClient;
  executor(target?: EcsTarget, deps?: Partial<EcsExecutorDeps>): EcsExecutor;
  close(): Promise<void>;
}

export async function startSimulator(agentOptions: AgentServerOptions = {}, tasks: SimTask[] = [defaultTask()]): Promise<Simulator> {
  const agent = await startAgentServer({ ptyDelayMs: 200, ...agentOptions });
  const api = await startEcsApi({ agent, tasks });
  const ecs = () => new ECSClient({ region: 'eu-west-1', endpoint: api.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    agent,
    api,
    ecs,
    executor: (target = TARGET, deps = {}) => new EcsExecutor(target, { ecs: ecs(), clock: systemClock, region: 'eu-west-1', ...deps }),
    close: async () => {
      await api.close();
      await agent.close();
    },
  };
}

export function shellStep(run: string, over: Partial<ShellStep> = {}): ShellStep {
  return { kind: 'shell', name: 'step', index: 0, timeoutSeconds: 120, continueOnError: false, run, ...over };
}

export interface StepRun {
  result: StepResult;
  stdout: Buffer;
  stderr: Buffer;
  /** Both streams in arrival order. */
  all: Buffer;
  runId: string;
}

/** prepare → runStep → dispose, as the orchestrator does; the run's remote directory is removed afterwards. */
export async function runOnExecutor(executor: EcsExecutor, step: Step, options: { signal?: AbortSignal; database?: Database; onOutput?: StepContext['onOutput'] } = {}): Promise<StepRun> {
  const chunks: Record<'stdout' | 'stderr' | 'all', Buffer[]> = { stdout: [], stderr: [], all: [] };
  const runId = `test-${randomUUID()}`;
  const signal = options.signal ?? new AbortController().signal;
  try {
    await executor.prepare(signal);
    const result = await executor.runStep(step, {
      runId,
      signal,
      ...(options.database ? { database: options.database } : {}),
      onOutput: async (stream, chunk) => {
        await options.onOutput?.(stream, chunk);
        chunks[stream].push(Buffer.from(chunk));
        chunks.all.push(Buffer.from(chunk));
      },
    });
    return { result, stdout: Buffer.concat(chunks.stdout), stderr: Buffer.concat(chunks.stderr), all: Buffer.concat(chunks.all), runId };
  } finally {
    await executor.dispose();
  }
}

export function removeRunDirectory(runId: string): void {
  rmSync(`${REMOTE_ROOT}/run-${runId}`, { recursive: true, force: true });
}

/** A clock whose sleeps return at once and move time forward (bounded polling runs instantly) until real(). */
export function instantClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { slept: number[]; real(): void } {
  let now = start;
  let instant = true;
  const slept: number[] = [];
  return {
    slept,
    real: () => void (instant = false),
    now: () => (instant ? new Date(now) : systemClock.now()),
    sleep: async (ms, signal) => {
      if (!instant) return systemClock.sleep(ms, signal);
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      slept.push(ms);
      now += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
