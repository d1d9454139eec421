// SendCommand has no idempotency token: when its answer is lost after SSM accepted the command, sending it again
// runs the script twice. The client here retries like production's `new SSMClient({ region })` (3 attempts); opsgate
// must still send once, then tell from ListCommands (the Comment's reference) whether the command was accepted.
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { systemClock } from '../../src/ports/clock.js';
import type { SsmTarget } from '../../src/runbook/model.js';
import { type Fault, type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, instanceIds, shellStep, ssmTarget, startSsmTestbed, stopSsmTestbed } from '../support/ssm-simulator/test-kit.js';

let sim: SsmSimulator;
let ssm: SSMClient;
const fleet = instanceIds(51, 'o');
const [first, second] = fleet;

beforeAll(async () => {
  ({ sim, ssm } = await startSsmTestbed({ instances: fleet.map((id) => ({ id })) })); // the SDK's default retries
});
afterAll(() => stopSsmTestbed({ sim, ssm }));
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const executor = (target: SsmTarget) => createSsmExecutor({ ssm, target, sleep: systemClock.sleep, poll: { capMs: 500 }, consistencyWindowMs: 1000 });
const sends = () => sim.calls.get('SendCommand') ?? 0;

async function runWithFault(kind: Fault['kind'], ids: string[], script = 'echo "ran on $SIM_INSTANCE_ID"') {
  const sendsBefore = sends();
  const commandsBefore = sim.commands.size;
  sim.injectFault({ operation: 'SendCommand', kind });
  const ctx = collectingContext();
  const result = await executor(ssmTarget({ instanceIds: ids })).runStep(shellStep(script), ctx);
  return { result, ctx, sent: sends() - sendsBefore, created: [...sim.commands.values()].slice(commandsBefore) };
}

it('sends once when the connection drops after SSM accepted the command, finds it and follows it', async () => {
  const { result, ctx, sent, created } = await runWithFault('drop-after-accept', [first!]);
  expect(sent).toBe(1);
  expect(created).toHaveLength(1);
  expect(result.status).toBe('error');
  expect(result.message).toMatch(/SSM target "fleet": SendCommand got no answer \(.*\), so the script may have run; opsgate did not send it again/);
  expect(result.message).toContain(`ListCommands shows SSM accepted it as command ${created[0]!.id} (Comment [send `);
  // Followed to the end: its result and output are on record.
  expect(result.perTarget).toEqual([expect.objectContaining({ id: first, status: 'succeeded', exitCode: 0 })]);
  expect(ctx.out).toBe(`ran on ${first}\n`);
  expect(sim.requests.filter((r) => r.operation === 'ListCommands' && !r.body.CommandId)).not.toHaveLength(0);
});

it('sends once on a 500 after SSM accepted the command (the SDK would retry a 500)', async () => {
  const { result, sent, created } = await runWithFault('error-after-accept', [first!, second!]);
  expect(sent).toBe(1);
  expect(created).toHaveLength(1);
  expect(result.status).toBe('error');
  expect(result.message).toMatch(/SendCommand got no answer \(InternalServerError: .*\), so the script may have run/);
  expect(result.message).toContain(`accepted it as command ${created[0]!.id}`);
  expect(result.perTarget?.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
});

it('says the command most likely did not run when SSM shows no command with its reference, and how to check', async () => {
  const { result, sent, created } = await runWithFault('drop-before-accept', [first!]);
  expect(sent).toBe(0);
  expect(created).toHaveLength(0);
  expect(result.status).toBe('error');
  expect(result.message).toMatch(
    /may have run; opsgate did not send it again\. ListCommands shows no command with \[send [0-9a-f]{12}\] in its Comment sent since .*, so it most likely did not run, but SSM's listing can lag: before running this step again, look for "\[send [0-9a-f]{12}\]" in the Comment column of Systems Manager > Run Command > Command history/,
  );
  expect(result.perTarget).toEqual([expect.objectContaining({ id: first, status: 'error', message: expect.stringMatching(/^result unknown: SendCommand got no answer/) })]);
});

it('sends no later batch after a batch whose answer was lost', async () => {
  const { result, sent, created } = await runWithFault('drop-after-accept', fleet, 'true');
  expect(sent).toBe(1);
  expect(created[0]!.invocations).toHaveLength(50);
  expect(result.status).toBe('error');
  const last = result.perTarget!.find((t) => t.id === fleet[50]);
  expect(last).toMatchObject({ status: 'cancelled', message: 'not run: an earlier SendCommand of this step got no answer; SSM never sent it' });
  expect(result.perTarget!.filter((t) => t.status === 'succeeded')).toHaveLength(50);
});
