// Cancellation with the production sleep (systemClock.sleep rejects on abort): CancelCommand must still go out,
// output printed before the cancel must be kept, and instances that ignore the cancel must be named.
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { CANCEL_POLL_MS, CANCEL_WAIT_MS } from '../../src/adapters/aws/ssm-poll.js';
import { systemClock } from '../../src/ports/clock.js';
import type { SsmTarget } from '../../src/runbook/model.js';
import { type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, instanceIds, shellStep, ssmTarget, startSsmTestbed, stopSsmTestbed } from '../support/ssm-simulator/test-kit.js';

let sim: SsmSimulator;
let ssm: SSMClient;
const [obedient, stubborn] = instanceIds(2, 'c');

beforeAll(async () => {
  ({ sim, ssm } = await startSsmTestbed({ instances: [{ id: obedient! }, { id: stubborn!, ignoresCancel: true }] }));
});
afterAll(() => stopSsmTestbed({ sim, ssm }));
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const executor = (target: SsmTarget) => createSsmExecutor({ ssm, target, sleep: systemClock.sleep });
/** Aborts once each instance runs the step's next command and has printed `text` (never on a timer). */
function abortOncePrinted(text: string, instances: string[]): AbortSignal {
  const controller = new AbortController();
  const earlier = new Set(sim.commands.keys());
  const printed = instances.map((id) =>
    sim.whenInvocation((inv, command) => !earlier.has(command.id) && inv.instanceId === id && inv.status === 'InProgress' && inv.stdout.includes(text)),
  );
  void Promise.all(printed).then(() => controller.abort(new Error('cancelled by the user')));
  return controller.signal;
}
const requestsOf = (commandId: string) => sim.requests.filter((r) => r.commandId === commandId);

it('sends CancelCommand when aborted during a sleep that rejects, and keeps the output printed before', async () => {
  const ctx = collectingContext(abortOncePrinted('before', [obedient!]));
  const result = await executor(ssmTarget({ instanceIds: [obedient!] })).runStep(shellStep('echo before; sleep 30; echo after'), ctx);
  expect(result.status).toBe('cancelled');
  expect(result.message).toMatch(/^cancelled; CancelCommand sent; every instance reached a final status/);
  expect(ctx.out).toBe('before\n');
  const commandId = [...sim.commands.keys()].at(-1)!;
  const after = requestsOf(commandId).slice(requestsOf(commandId).findIndex((r) => r.operation === 'CancelCommand'));
  expect(after[0]?.operation).toBe('CancelCommand');
  // After the cancel: short polls only, for a bounded time (the job must end within seconds of SIGINT).
  expect(after.filter((r) => r.operation === 'GetCommandInvocation').length).toBeLessThanOrEqual(CANCEL_WAIT_MS / CANCEL_POLL_MS + 1);
});

it('names the instances that ignored the cancel: they may still be running', async () => {
  const ctx = collectingContext(abortOncePrinted('started', [obedient!, stubborn!]));
  const result = await executor(ssmTarget({ instanceIds: [obedient!, stubborn!] })).runStep(shellStep('echo started; sleep 20'), ctx);
  expect(result.status).toBe('cancelled');
  expect(result.message).toBe(`cancelled; CancelCommand sent, but SSM gives no guarantee that the script stops: may still be running on: ${stubborn}`);
  const byId = new Map(result.perTarget!.map((t) => [t.id, t]));
  expect(byId.get(obedient!)).toMatchObject({ status: 'cancelled', message: 'cancelled' });
  expect(byId.get(stubborn!)).toMatchObject({ status: 'cancelled', message: expect.stringMatching(/last seen Cancelling.*may still be running/) });
  expect(ctx.out).toContain(`==> ${obedient} <==\nstarted\n`);
});

it('sends nothing when cancelled before the step starts', async () => {
  const controller = new AbortController();
  controller.abort();
  const before = sim.calls.get('SendCommand') ?? 0;
  const result = await executor(ssmTarget({ instanceIds: [obedient!] })).runStep(shellStep('echo never'), collectingContext(controller.signal));
  expect(result).toMatchObject({ status: 'cancelled', message: 'cancelled before SendCommand; nothing ran' });
  expect(sim.calls.get('SendCommand') ?? 0).toBe(before);
});
