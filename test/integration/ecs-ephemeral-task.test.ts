// One-off operations tasks: RunTask with execute command enabled and the repo config's network settings, a
// bounded wait (injected clock) until the task and its agent are RUNNING, StopTask in dispose() whatever
// happened (bounded, so a hung control plane cannot hold a cancelled job), and the post: step stopping a task the
// main step left behind.
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsTarget } from '../../src/runbook/model.js';
import { actionTaskState, ECS_TASKS_STATE, stopLeftoverEcsTasks } from '../../src/adapters/aws/ecs/task-state.js';
import { CREDENTIALS, instantClock, runOnExecutor, shellStep, startSimulator, type Simulator } from '../support/ecs-simulator/harness.js';

const target: EcsTarget = { kind: 'ecs', name: 'ops', cluster: 'prod', taskDefinition: 'opsgate-ops:3', subnets: ['subnet-0abc'], securityGroups: ['sg-0def'], assignPublicIp: false };
let sim: Simulator | undefined;
afterEach(async () => {
  expect(sim?.api.violations ?? []).toEqual([]);
  expect(sim?.agent.violations ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

async function simulate(behaviour: 'ok' | 'stops' | 'agent-stuck' = 'ok'): Promise<Simulator> {
  sim = await startSimulator({}, []);
  sim.api.options.taskDefinitions = [{ family: 'opsgate-ops', containers: ['ops'], behaviour }];
  return sim;
}

const calls = (s: Simulator, operation: string) => s.api.calls.filter((c) => c.operation === operation).map((c) => c.body);

describe('one-off ECS task for a task-definition target', () => {
  it('starts the task with exec enabled, waits until it is ready, runs the step in it, stops it at the end', async () => {
    const s = await simulate();
    const saved: Record<string, string> = {};
    const clock = instantClock();
    const executor = s.executor(target, { clock, taskState: actionTaskState((name, value) => (saved[name] = value)), readyPollMs: 2000 });
    const prepared = await executor.prepare(new AbortController().signal);
    expect(prepared.description).toMatch(/^one-off ECS task [0-9a-f]{32} \(container ops\) in cluster prod$/);
    const arn = prepared.members[0]!;
    expect(JSON.parse(saved[ECS_TASKS_STATE]!)).toEqual([{ region: 'eu-west-1', cluster: 'prod', taskArn: arn }]);
    expect(calls(s, 'RunTask')).toEqual([
      {
        clientToken: expect.any(String), // the SDK's idempotency token: a retried RunTask starts no second task
        cluster: 'prod',
        taskDefinition: 'opsgate-ops:3',
        count: 1,
        enableExecuteCommand: true,
        startedBy: 'opsgate',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0abc'], securityGroups: ['sg-0def'], assignPublicIp: 'DISABLED' } },
      },
    ]);
    expect(clock.slept).toEqual([2000, 2000]); // PROVISIONING → PENDING → RUNNING, then the agent
    clock.real();
    const run = await runOnExecutor(executor, shellStep('echo in-one-off-task'));
    expect(run.result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(run.stdout.toString()).toBe('in-one-off-task\n');
    expect(calls(s, 'StopTask')).toEqual([{ cluster: 'prod', task: arn, reason: 'opsgate: the run is over' }]);
    expect(JSON.parse(saved[ECS_TASKS_STATE]!)).toEqual([]);
  });

  it('a task that stops during start-up fails prepare with its stopped reason, and is still stopped by dispose', async () => {
    const s = await simulate('stops');
    const executor = s.executor(target, { clock: instantClock() });
    await expect(executor.prepare(new AbortController().signal)).rejects.toThrow(/one-off task [0-9a-f]{32} stopped before it was ready: Essential container in task exited/);
    await executor.dispose();
    expect(calls(s, 'StopTask')).toHaveLength(1);
  });

  it('an agent that never reaches RUNNING fails after the bound (on the injected clock)', async () => {
    const s = await simulate('agent-stuck');
    const executor = s.executor(target, { clock: instantClock(), readyTimeoutMs: 60_000, readyPollMs: 5_000 });
    await expect(executor.prepare(new AbortController().signal)).rejects.toThrow(/was not ready for ECS Exec within 60 s \(.*ExecuteCommandAgent in container "ops" .* is PENDING/);
    await executor.dispose();
    expect(calls(s, 'StopTask')).toHaveLength(1);
  });

  it('after a cancel, a StopTask that never answers does not hold dispose(): the task stays saved and the post: step stops it', async () => {
    const s = await simulate();
    const saved: Record<string, string> = {};
    const hook = actionTaskState((name, value) => (saved[name] = value));
    const run = new AbortController();
    const executor = s.executor(target, { clock: instantClock(), taskState: hook });
    const arn = (await executor.prepare(run.signal)).members[0]!;
    run.abort();
    s.api.options.stopTaskHangs = true;
    await expect(executor.dispose()).rejects.toThrow(`could not stop one-off ECS task ${arn.split('/').pop()} in cluster prod: ecs:StopTask did not answer within 0.5 s; the post: step will stop it`);
    expect(JSON.parse(saved[ECS_TASKS_STATE]!)).toEqual([{ region: 'eu-west-1', cluster: 'prod', taskArn: arn }]);
    s.api.options.stopTaskHangs = false;
    const ecsFor = (region: string) => new ECSClient({ region, endpoint: s.api.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    await stopLeftoverEcsTasks((name) => saved[name] ?? '', ecsFor, { info: () => undefined, warning: (m) => expect.fail(m) });
    expect(calls(s, 'StopTask')).toHaveLength(2);
    expect(s.api.options.tasks.find((t) => t.taskArn === arn)?.lastStatus).toBe('STOPPED');
    hook.stopped(arn); // the process-wide list is shared by this file's tests
  });

  it('post: step stops a one-off task the killed main step left in the saved state', async () => {
    const s = await simulate();
    const saved: Record<string, string> = {};
    const executor = s.executor(target, { clock: instantClock(), taskState: actionTaskState((name, value) => (saved[name] = value)) });
    const arn = (await executor.prepare(new AbortController().signal)).members[0]!;
    // The main process dies here: no dispose(). The post step reads the state the runner kept.
    const logged: string[] = [];
    const ecsFor = (region: string) => new ECSClient({ region, endpoint: s.api.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    await stopLeftoverEcsTasks((name) => saved[name] ?? '', ecsFor, { info: (m) => logged.push(m), warning: (m) => logged.push(`warning: ${m}`) });
    expect(calls(s, 'StopTask')).toEqual([{ cluster: 'prod', task: arn, reason: 'opsgate post step: the job ended before the run stopped this task' }]);
    expect(logged).toEqual([`opsgate: stopped one-off ECS task ${arn} left by the interrupted run.`]);
  });

});
