// More than 50 instance ids (batches sent one after another, max-errors kept for the whole run), and SSM's
// eventual consistency right after SendCommand (an empty or partial invocation list is never "no match").
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import type { SsmTarget } from '../../src/runbook/model.js';
import { type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, instanceIds, shellStep, ssmTarget, startSsmTestbed, stopSsmTestbed } from '../support/ssm-simulator/test-kit.js';

let sim: SsmSimulator;
let ssm: SSMClient;
const fleet = instanceIds(60, 'b');
const hidden = instanceIds(1, 'h')[0]!;

beforeAll(async () => {
  ({ sim, ssm } = await startSsmTestbed({
    instances: [...fleet.map((id) => ({ id })), { id: hidden }],
    emptyListCalls: 2,
    hiddenInstances: [hidden],
  }));
});
afterAll(() => stopSsmTestbed({ sim, ssm }));
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const executor = (target: SsmTarget) => createSsmExecutor({ ssm, target, poll: { capMs: 1000 }, consistencyWindowMs: 1500 });
const failOn = (id: string) => shellStep(`if [ "$SIM_INSTANCE_ID" = "${id}" ]; then exit 9; fi; echo ok`);
const sendsSince = (n: number) => sim.requests.filter((r) => r.operation === 'SendCommand').slice(n);

describe('more than 50 instance ids', () => {
  it('sends 60 ids as two batches one after another', async () => {
    const before = sendsSince(0).length;
    const result = await executor(ssmTarget({ instanceIds: fleet, maxConcurrency: '50' })).runStep(shellStep('true'), collectingContext());
    expect(result.status).toBe('succeeded');
    expect(result.perTarget).toHaveLength(60);
    expect(sendsSince(before).map((r) => (r.body.InstanceIds as string[]).length)).toEqual([50, 10]);
  });

  it('with max-errors 0, a failure in the first batch means the second is never sent', async () => {
    const before = sendsSince(0).length;
    const result = await executor(ssmTarget({ instanceIds: fleet, maxConcurrency: '5' })).runStep(failOn(fleet[3]!), collectingContext());
    expect(result).toMatchObject({ status: 'failed', exitCode: 9 });
    expect(sendsSince(before)).toHaveLength(1);
    const secondBatch = result.perTarget!.filter((t) => fleet.indexOf(t.id) >= 50);
    expect(secondBatch).toHaveLength(10);
    expect(secondBatch.every((t) => t.status === 'cancelled' && /max-errors 0 was reached in an earlier batch; SSM never sent it/.test(t.message))).toBe(true);
  });

  it('counts errors across batches: max-errors 1 leaves the second batch MaxErrors 0 after one failure', async () => {
    const before = sendsSince(0).length;
    const result = await executor(ssmTarget({ instanceIds: fleet, maxConcurrency: '50', maxErrors: '1' })).runStep(
      shellStep(`case "$SIM_INSTANCE_ID" in ${fleet[1]}|${fleet[52]}|${fleet[53]}) exit 9;; esac; sleep 0.2`),
      collectingContext(),
    );
    expect(result.status).toBe('failed');
    expect(sendsSince(before).map((r) => r.body.MaxErrors)).toEqual(['1', '0']);
  });
});

describe('eventual consistency after SendCommand', () => {
  it('waits out empty invocation lists instead of calling them "no match"', async () => {
    const ids = fleet.slice(0, 3);
    const result = await executor(ssmTarget({ instanceIds: ids })).runStep(shellStep('echo ok'), collectingContext());
    expect(result.status).toBe('succeeded');
    expect(result.perTarget!.map((t) => t.id).sort()).toEqual(ids);
    expect(result.message).not.toMatch(/no instances matched/);
  });

  it('reports an id SSM never lists as unknown, never as "no match"', async () => {
    const result = await executor(ssmTarget({ instanceIds: [fleet[0]!, hidden] })).runStep(shellStep('echo ok'), collectingContext());
    expect(result.status).toBe('error');
    const byId = new Map(result.perTarget!.map((t) => [t.id, t]));
    expect(byId.get(fleet[0]!)).toMatchObject({ status: 'succeeded' });
    expect(byId.get(hidden)).toMatchObject({ status: 'error', message: expect.stringMatching(/SSM never showed an invocation of command .* whether it ran is unknown/) });
    expect(result.message).not.toMatch(/no instances matched/);
  });

  it('keeps asking GetCommandInvocation for a single instance that is not visible yet', async () => {
    const result = await executor(ssmTarget({ instanceIds: [hidden] })).runStep(shellStep('echo ok'), collectingContext());
    expect(result).toMatchObject({ status: 'error', message: expect.stringMatching(/never showed an invocation/) });
    const commandId = [...sim.commands.keys()].at(-1)!;
    const polls = sim.requests.filter((r) => r.commandId === commandId && r.operation === 'GetCommandInvocation').length;
    // Retried within the consistency window instead of giving up at the first InvocationDoesNotExist.
    expect(polls).toBeGreaterThan(1);
  });
});
