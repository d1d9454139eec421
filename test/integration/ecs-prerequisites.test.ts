// Every missing ECS Exec prerequisite fails before the step runs, with a message that names it and the fix.
// The step would create a file: it must never exist.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsTarget } from '../../src/runbook/model.js';
import { APP_RUNTIME_ID, CLUSTER_ARN, defaultTask, runOnExecutor, shellStep, startSimulator, TARGET, TASK_ARN, type Simulator } from '../support/ecs-simulator/harness.js';
import type { SimTask } from '../support/ecs-simulator/ecs-api.js';
import { createKmsStandin } from '../support/kms-standin.js';

const scratch = mkdtempSync(join(tmpdir(), 'opsgate-ecs-prereq-'));
const kms = createKmsStandin();
let sim: Simulator | undefined;
afterEach(async () => {
  expect(sim?.api.violations ?? []).toEqual([]);
  expect(sim?.agent.violations ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

async function simulate(tasks: SimTask[], extra: Partial<Simulator['api']['options']> = {}): Promise<Simulator> {
  sim = await startSimulator({ kmsDecrypt: (blob, context) => kms.decrypt(blob, context) }, tasks);
  Object.assign(sim.api.options, extra);
  return sim;
}

function marker(name: string): { file: string; step: ReturnType<typeof shellStep> } {
  const file = join(scratch, name);
  return { file, step: shellStep(`touch ${file}`) };
}

const task = (over: Partial<SimTask> = {}, container: Partial<SimTask['containers'][number]> = {}): SimTask => {
  const base = defaultTask();
  return { ...base, ...over, containers: base.containers.map((c) => (c.name === 'app' ? { ...c, ...container } : c)) };
};

async function prepareError(s: Simulator, target: EcsTarget = TARGET): Promise<string> {
  return s.executor(target).prepare(new AbortController().signal).then(
    () => 'prepared',
    (error: Error) => error.message,
  );
}

describe('ECS Exec prerequisites', () => {
  it('execute command not enabled when the task started: redeploy with --enable-execute-command --force-new-deployment', async () => {
    const message = await prepareError(await simulate([task({ enableExecuteCommand: false })]));
    expect(message).toBe(
      'target "app" (cluster prod): task 0123456789abcdef0123456789abcdef was started without execute command enabled, so ECS Exec cannot reach it. Fix: aws ecs update-service --cluster prod --service api --enable-execute-command --force-new-deployment.',
    );
  });

  it('ExecuteCommandAgent not running: wait, then check the task role and the ssmmessages endpoint', async () => {
    const message = await prepareError(await simulate([task({}, { agentStatus: 'PENDING' })]));
    expect(message).toMatch(/ExecuteCommandAgent in container "app" of task 0123456789abcdef0123456789abcdef is PENDING, not RUNNING\. Wait a minute and retry; .*task role grants ssmmessages:CreateControlChannel.*VPC endpoint/);
  });

  it('no task in the service', async () => {
    const message = await prepareError(await simulate([task({ service: 'worker' })]));
    expect(message).toMatch(/^target "app" \(cluster prod\): service "api" has no RUNNING task\. Fix: check the service's desired count/);
  });

  it('several containers and no `container:` in the repo config', async () => {
    const message = await prepareError(await simulate([task()]), { ...TARGET, container: undefined } as EcsTarget);
    expect(message).toBe('target "app" (cluster prod): task 0123456789abcdef0123456789abcdef has several containers (sidecar, app). Fix: set targets.app.ecs.container in the repo config to the one the steps run in.');
  });

  it('ListTasks is paged and filtered by cluster and service; the ready task on a later page is chosen', async () => {
    const other = { ...task(), taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/staging/00000000000000000000000000000001', clusterArn: CLUSTER_ARN.replace('prod', 'staging') };
    const notEnabled = { ...task({ enableExecuteCommand: false }), taskArn: TASK_ARN.replace(/.{4}$/, '0000') };
    const s = await simulate([other, notEnabled, task()], { pageSize: 1 });
    const resolved = await s.executor().prepare(new AbortController().signal);
    expect(resolved.members).toEqual([TASK_ARN]);
    const lists = s.api.calls.filter((c) => c.operation === 'ListTasks');
    expect(lists.map((c) => [c.body['cluster'], c.body['serviceName'], c.body['nextToken'] !== undefined])).toEqual([
      ['prod', 'api', false],
      ['prod', 'api', true],
    ]);
  });

  it.each([
    ['TargetNotConnectedException', 'The execute command failed due to an internal error. Try again later.', /task role most likely lacks ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel/],
    ['AccessDeniedException', 'User is not authorized to perform: ecs:ExecuteCommand', /Grant the role running opsgate ecs:ExecuteCommand/],
  ])('ExecuteCommand %s names the missing permission', async (type, text, expected) => {
    const s = await simulate([task()], { execErrors: [{ type, message: text }] });
    const { file, step } = marker(`exec-${type}`);
    const run = await runOnExecutor(s.executor(), step);
    expect(run.result.status).toBe('error');
    expect(run.result.message).toMatch(expected);
    expect(run.result.message).toContain(`${type}: ${text}`);
    expect(existsSync(file)).toBe(false);
    expect(s.api.calls.filter((c) => c.operation === 'ExecuteCommand')).toHaveLength(1);
  });

  it('KMS target-id mismatch: the message names the computed ecs:<cluster>_<taskId>_<runtimeId>; nothing runs', async () => {
    const s = await simulate([task()], { kmsKeyId: 'alias/ecs-exec', agentTargetId: 'ecs:prod_0123456789abcdef0123456789abcdef_other-runtime' });
    const { file, step } = marker('kms-mismatch');
    const run = await runOnExecutor(s.executor(undefined, { generateDataKey: async (r) => kms.generateDataKey(r) }), step);
    expect(run.result.status).toBe('error');
    expect(run.result.message).toContain(`opsgate computed the target id ecs:prod_0123456789abcdef0123456789abcdef_${APP_RUNTIME_ID}`);
    expect(run.result.message).toMatch(/could not decrypt the KMS data key .*InvalidCiphertextException.*kms:Decrypt on alias\/ecs-exec/s);
    expect(existsSync(file)).toBe(false);
  });

  it('missing kms:GenerateDataKey, or no KMS client: clear failure before the command runs', async () => {
    const s = await simulate([task()], { kmsKeyId: 'alias/ecs-exec' });
    kms.denyGenerateDataKey = true;
    try {
      const { file, step } = marker('kms-denied');
      const denied = await runOnExecutor(s.executor(undefined, { generateDataKey: async (r) => kms.generateDataKey(r) }), step);
      expect(denied.result.message).toMatch(/encrypts ECS Exec sessions with KMS key alias\/ecs-exec, and kms:GenerateDataKey failed \(AccessDeniedException: .*\)\. Fix: allow kms:GenerateDataKey on that key for the role running opsgate\. Nothing ran\./);
      const missing = await runOnExecutor(s.executor(), step);
      expect(missing.result.message).toMatch(/KMS key alias\/ecs-exec, but no KMS client is configured/);
      expect(existsSync(file)).toBe(false);
      expect(s.agent.totalStarts()).toBe(0);
    } finally {
      kms.denyGenerateDataKey = false;
    }
  });

  it('a task-definition target without subnets is refused before RunTask', async () => {
    const s = await simulate([]);
    const message = await prepareError(s, { kind: 'ecs', name: 'ops', cluster: 'prod', taskDefinition: 'opsgate-ops:3' });
    expect(message).toMatch(/task-definition "opsgate-ops:3" starts a one-off task, which needs targets\.ops\.ecs\.subnets/);
    expect(s.api.calls.filter((c) => c.operation === 'RunTask')).toEqual([]);
  });
});
