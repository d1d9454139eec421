// SSM's command deadline (aws-facts §1): TimeoutSeconds + executionTimeout after the send, invocations still
// Pending, Delayed or InProgress become Delivery Timed Out. Under max-concurrency 1, five rounds of a 0.8 s step
// outlast an unwidened deadline (30 s + 60 s at 30 simulated seconds per real second = 3 s), so every instance
// runs only if opsgate widened TimeoutSeconds for the rounds it knew of.
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { systemClock } from '../../src/ports/clock.js';
import type { SsmTarget } from '../../src/runbook/model.js';
import { type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, instanceIds, shellStep, ssmTarget, startSsmTestbed, stopSsmTestbed } from '../support/ssm-simulator/test-kit.js';

const ids = instanceIds(5, 'l');
const tagged = instanceIds(5, 'g');
let sim: SsmSimulator;
let ssm: SSMClient;

beforeAll(async () => {
  ({ sim, ssm } = await startSsmTestbed({ instances: [...ids.map((id) => ({ id })), ...tagged.map((id) => ({ id, tags: { Role: 'batch' } }))], timeScale: 30 }));
});
afterAll(() => stopSsmTestbed({ sim, ssm }));
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const step = shellStep('sleep 0.8; echo done', 60, 'one at a time');
const executor = (target: SsmTarget) =>
  createSsmExecutor({ ssm, target, deliveryTimeoutSeconds: 30, sleep: systemClock.sleep, poll: { capMs: 500 }, consistencyWindowMs: 1500 });
const lastCommand = () => [...sim.commands.values()].at(-1)!;

it('the simulator ends a command TimeoutSeconds + executionTimeout after it was sent', async () => {
  const sent = await ssm.send(new SendCommandCommand({
    DocumentName: 'AWS-RunShellScript', InstanceIds: ids, TimeoutSeconds: 30, MaxConcurrency: '1',
    Parameters: { commands: ['sleep 0.8'], executionTimeout: ['60'] },
  }));
  const command = sim.commands.get(sent.Command!.CommandId!)!;
  const last = await sim.whenInvocation((inv, c) => c === command && inv.instanceId === ids[4] && inv.status !== 'Pending');
  expect(command.invocations[0]).toMatchObject({ status: 'Success' });
  expect(last).toMatchObject({ status: 'TimedOut', details: 'Delivery Timed Out', responseCode: -1 });
});

it('runs every instance of an id target whose rounds outlast TimeoutSeconds + executionTimeout', async () => {
  const result = await executor(ssmTarget({ instanceIds: ids, maxConcurrency: '1' })).runStep(step, collectingContext());
  expect(result.status, result.message).toBe('succeeded');
  expect(result.perTarget?.map((t) => t.status)).toEqual(Array(5).fill('succeeded'));
  expect(lastCommand().request.TimeoutSeconds).toBe(30 + 4 * 60);
});

it('runs every instance of a tag target, with the rounds counted from the instances prepare() found', async () => {
  const ex = executor(ssmTarget({ tags: { Role: 'batch' }, maxConcurrency: '1' }));
  expect((await ex.prepare(new AbortController().signal)).members).toHaveLength(5);
  const result = await ex.runStep(step, collectingContext());
  expect(result.status, result.message).toBe('succeeded');
  expect(result.perTarget).toHaveLength(5);
  expect(lastCommand().request.TimeoutSeconds).toBe(30 + 4 * 60);
});

it('with the fleet size unknown (a resource group; here: no prepare()), says why later rounds never started', async () => {
  const result = await executor(ssmTarget({ tags: { Role: 'batch' }, maxConcurrency: '1' })).runStep(step, collectingContext());
  expect(lastCommand().request.TimeoutSeconds).toBe(30);
  expect(result.status).toBe('error');
  const late = result.perTarget!.filter((t) => /^never started/.test(t.message));
  expect(late.length).toBeGreaterThan(0);
  expect(result.message).toContain(
    `${late.length} instance(s) never started, perhaps because their turn under max-concurrency 1 came after SSM's deadline for the command (TimeoutSeconds 30 s + executionTimeout 60 s): opsgate did not know how many instances target "fleet" has before sending`,
  );
});
