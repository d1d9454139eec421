import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { systemClock } from '../../src/ports/clock.js';
import type { SsmTarget } from '../../src/runbook/model.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, credentials, instanceIds, shellStep, ssmTarget } from '../support/ssm-simulator/test-kit.js';

let sim: SsmSimulator;
let ssm: SSMClient;
const [single, offline, unresponsive, undeliverable, delayed] = instanceIds(5, 's');
const tagged = instanceIds(120, 't');
const unknown = 'i-0000000000000dead';
const never = new AbortController().signal;

beforeAll(async () => {
  sim = await startSsmSimulator({
    instances: [
      { id: single! },
      { id: offline!, state: 'offline' },
      { id: unresponsive!, state: 'unresponsive' },
      { id: undeliverable!, state: 'undeliverable' },
      { id: delayed!, state: 'delayed' },
      ...tagged.map((id) => ({ id, tags: { Role: 'web' } })),
    ],
    invocationDoesNotExistPolls: 1,
    emptyListCalls: 2,
    timeScale: 100, // SSM's clocks: a 30 s delivery timeout takes 0.3 s, a 600 s executionTimeout 6 s
    throttleEvery: 17,
  });
  ssm = new SSMClient({ region: 'us-east-1', endpoint: sim.endpoint, maxAttempts: 5, credentials });
});
afterAll(async () => {
  ssm?.destroy();
  await sim?.close();
});
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const executor = (target: SsmTarget) =>
  createSsmExecutor({ ssm, target, sleep: systemClock.sleep, deliveryTimeoutSeconds: 30, poll: { capMs: 1000 }, consistencyWindowMs: 3000 });
/** Steps get 600 s: 6 s of the simulator's scaled clock, plenty for these scripts. */
const step = (run: string, timeoutSeconds = 600) => shellStep(run, timeoutSeconds);
const sendsFor = (commandIds: string[]) => sim.requests.filter((r) => r.commandId && commandIds.includes(r.commandId));
const lastCommandId = () => [...sim.commands.keys()].at(-1)!;

describe('SSM executor against the simulator (real SDK client, real step script)', () => {
  it('runs on one instance, returns its output, and names the repository and PR in the Comment', async () => {
    const ex = executor(ssmTarget({ instanceIds: [single!] }));
    expect((await ex.prepare(never)).members).toEqual([single]);
    const ctx = collectingContext();
    const result = await ex.runStep(step('echo hello from $SIM_INSTANCE_ID; echo warn >&2'), ctx);
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(ctx.out).toBe(`hello from ${single}\n`);
    expect(ctx.err).toBe('warn\n');
    const send = sim.requests.filter((r) => r.operation === 'SendCommand').at(-1)!;
    // The reference at the end finds the command again if SendCommand's answer is lost.
    expect(send.body.Comment).toMatch(/^opsgate acme\/ops#12 step one \[send [0-9a-f]{12}\]$/);
    expect(send.body.Parameters).toMatchObject({ executionTimeout: ['600'] });
  });

  it('without an output log group, passes on the truncated 24,000 chars and says there is no full copy', async () => {
    const ctx = collectingContext();
    const result = await executor(ssmTarget({ instanceIds: [single!] })).runStep(step("head -c 200000 /dev/zero | tr '\\0' x"), ctx);
    expect(result.status).toBe('succeeded');
    expect(ctx.out).toBe('x'.repeat(24000));
    expect(ctx.err).toMatch(/output truncated: SSM keeps only the first 24,000 .* no full copy was kept \(set output-log-group on target "fleet"/);
    expect(result.perTarget![0]!.message).toMatch(/output truncated/);
  });

  it('reports exit code 3 as a failure', async () => {
    const result = await executor(ssmTarget({ instanceIds: [single!] })).runStep(step('echo boom; exit 3'), collectingContext());
    expect(result).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(result.message).toMatch(/exited with code 3/);
  });

  it('refuses the reboot exit code 194 and reports it as the step’s own code', async () => {
    const ctx = collectingContext();
    const result = await executor(ssmTarget({ instanceIds: [single!] })).runStep(step('exit 194'), ctx);
    expect(result).toMatchObject({ status: 'failed', exitCode: 194 });
    expect(result.message).toMatch(/reboot the instance .* opsgate refused it/);
    expect(ctx.err).toMatch(/makes the SSM agent reboot the instance/);
  });

  it('maps an execution timeout', async () => {
    const result = await executor(ssmTarget({ instanceIds: [single!] })).runStep(shellStep('sleep 30', 1), collectingContext());
    expect(result.status).toBe('timed-out');
    expect(result.message).toMatch(/timed out after 1s/);
  });

  it('reports an instance that never answers as never started (Delivery Timed Out)', async () => {
    const ex = executor(ssmTarget({ instanceIds: [unresponsive!] }));
    await ex.prepare(never); // it reports Online, then never picks the command up
    const result = await ex.runStep(step('echo never'), collectingContext());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/never started.*delivery timeout/);
  });

  it('fails early in prepare() for offline and unmanaged instance ids, naming each', async () => {
    const before = sim.calls.get('SendCommand') ?? 0;
    const prepared = executor(ssmTarget({ instanceIds: [single!, offline!, unknown] })).prepare(never);
    await expect(prepared).rejects.toThrow(new RegExp(`not managed by SSM .*: ${unknown} .*offline: ${offline} \\(PingStatus ConnectionLost`));
    expect(sim.calls.get('SendCommand') ?? 0).toBe(before);
  });

  it('explains an unmanaged instance id that SendCommand refuses', async () => {
    const result = await executor(ssmTarget({ instanceIds: [unknown] })).runStep(step('true'), collectingContext());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/SendCommand failed, nothing ran: an instance is not managed by SSM or is offline/);
  });

  it('runs on 120 tagged instances, max-concurrency 10, max-errors 0 stops after the first failure', async () => {
    const failing = tagged[25]!;
    const ex = executor(ssmTarget({ tags: { Role: 'web' } }));
    expect((await ex.prepare(never)).members).toHaveLength(120);
    const ctx = collectingContext();
    const result = await ex.runStep(step(`sleep 0.05; if [ "$SIM_INSTANCE_ID" = "${failing}" ]; then exit 7; fi; echo ok`), ctx);
    expect(result.status).toBe('failed');
    expect(result.perTarget).toHaveLength(120);
    const byId = new Map(result.perTarget!.map((t) => [t.id, t]));
    expect(byId.get(failing)).toMatchObject({ status: 'failed', exitCode: 7 });
    const terminated = result.perTarget!.filter((t) => /max-errors/.test(t.message));
    expect(terminated.length).toBeGreaterThan(60);
    expect(result.perTarget!.filter((t) => t.status === 'succeeded').length).toBeLessThan(40);
    expect(sim.commands.get(lastCommandId())!.maxRunning).toBeLessThanOrEqual(10);
    // Output is attributed: a header line before each instance's output.
    expect(ctx.out).toContain(`==> ${tagged[0]} <==\nok\n`);
    // One ListCommands per poll whatever the fleet size, not one call per instance.
    const polls = sendsFor([lastCommandId()]).filter((r) => r.operation === 'ListCommands').length;
    expect(polls).toBeLessThan(15);
  });

  it('allows a rate-controlled step rounds × execution timeout before the safety net', async () => {
    const ex = executor(ssmTarget({ tags: { Role: 'web' } }));
    await ex.prepare(never);
    // 120 instances, 10 at a time: 12 rounds of 60 s, plus the 30 s delivery timeout, plus slack.
    expect(ex.maxStepDurationMs!(shellStep('true', 60))).toBeGreaterThanOrEqual((30 + 12 * 60) * 1000);
  });

  it('reports no instances matching the tags, early in prepare() and at send time', async () => {
    const ex = executor(ssmTarget({ tags: { Role: 'nothing' } }));
    await expect(ex.prepare(never)).rejects.toThrow(/no instance managed by SSM matches tag:Role=nothing/);
    const result = await ex.runStep(shellStep('true'), collectingContext());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/no instances matched SSM target "fleet" .*No Instances In Tag/);
  });

  it('does not read output for an Undeliverable invocation, and reports it', async () => {
    const ctx = collectingContext();
    const result = await executor(ssmTarget({ instanceIds: [single!, undeliverable!] })).runStep(step('echo hi'), ctx);
    const byId = new Map(result.perTarget!.map((t) => [t.id, t]));
    expect(byId.get(undeliverable!)).toMatchObject({ status: 'error', message: expect.stringMatching(/undeliverable/) });
    expect(byId.get(single!)).toMatchObject({ status: 'succeeded' });
    expect(ctx.out).toBe(`==> ${single} <==\nhi\n`);
    const reads = sendsFor([lastCommandId()]).filter((r) => r.operation === 'GetCommandInvocation').map((r) => r.body.InstanceId);
    expect(reads).toContain(single);
    expect(reads).not.toContain(undeliverable);
  });

  it('waits through Delayed', async () => {
    const result = await executor(ssmTarget({ instanceIds: [delayed!] })).runStep(step('echo late'), collectingContext());
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });

  it('retries throttled calls, SendCommand included (SSM refused it, so sending it again is safe)', async () => {
    const ex = executor(ssmTarget({ instanceIds: [single!] }));
    const throttledBefore = sim.throttled();
    // Every 17th request is throttled, so 17 calls in a row meet at least one; each must still succeed.
    for (let i = 0; i < 17; i++) expect((await ex.prepare(never)).members).toEqual([single]);
    expect(sim.throttled()).toBeGreaterThan(throttledBefore);
    const sendsBefore = sim.calls.get('SendCommand') ?? 0;
    sim.injectFault({ operation: 'SendCommand', kind: 'throttle' });
    const result = await ex.runStep(step('echo once'), collectingContext());
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(sim.calls.get('SendCommand')).toBe(sendsBefore + 1);
  });
});

describe('SSM executor when the role is denied', () => {
  let denied: SsmSimulator;
  let client: SSMClient;
  beforeAll(async () => {
    denied = await startSsmSimulator({ instances: [{ id: single! }], denyOperations: ['SendCommand', 'DescribeInstanceInformation'] });
    client = new SSMClient({ region: 'us-east-1', endpoint: denied.endpoint, maxAttempts: 1, credentials });
  });
  afterAll(async () => {
    client?.destroy();
    await denied?.close();
  });

  it('says which permission is missing, for SendCommand and DescribeInstanceInformation', async () => {
    const ex = createSsmExecutor({ ssm: client, target: ssmTarget({ instanceIds: [single!] }) });
    await expect(ex.prepare(never)).rejects.toThrow(/AccessDenied on ssm:DescribeInstanceInformation/);
    const result = await ex.runStep(shellStep('true'), collectingContext());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/access denied .* Allow ssm:SendCommand/);
    expect(denied.violations).toEqual([]);
  });
});

describe('SSM executor when output cannot be fetched', () => {
  let sim2: SsmSimulator;
  let client: SSMClient;
  const twelve = instanceIds(12, 'u');
  beforeAll(async () => {
    sim2 = await startSsmSimulator({ instances: twelve.map((id) => ({ id })), denyOperations: ['GetCommandInvocation'] });
    client = new SSMClient({ region: 'us-east-1', endpoint: sim2.endpoint, maxAttempts: 1, credentials });
  });
  afterAll(async () => {
    client?.destroy();
    await sim2?.close();
  });

  // More instances than are read ahead: a failed read must become a note, never an unhandled rejection.
  it('notes "output unreadable" per instance and keeps each result', async () => {
    const ctx = collectingContext();
    const ex = createSsmExecutor({ ssm: client, target: ssmTarget({ instanceIds: twelve }), poll: { capMs: 500 } });
    const result = await ex.runStep(shellStep('echo ok'), ctx);
    expect(result.status).toBe('succeeded');
    expect(result.perTarget).toHaveLength(12);
    for (const t of result.perTarget!) expect(t.message).toMatch(/^exited with code 0; output unreadable: AccessDeniedException: .*ssm:GetCommandInvocation/);
    expect(ctx.err).toContain(`==> ${twelve[11]} <==\nopsgate: output unreadable`);
    expect(sim2.violations).toEqual([]);
  });
});

describe('SSM executor when it cannot follow a command', () => {
  let sim3: SsmSimulator;
  let client: SSMClient;
  const pair = instanceIds(2, 'f');
  beforeAll(async () => {
    sim3 = await startSsmSimulator({ instances: pair.map((id) => ({ id })), denyOperations: ['ListCommands'] });
    client = new SSMClient({ region: 'us-east-1', endpoint: sim3.endpoint, maxAttempts: 1, credentials });
  });
  afterAll(async () => {
    client?.destroy();
    await sim3?.close();
  });

  it('cancels the command rather than leave unrecorded work running, and says so', async () => {
    const ex = createSsmExecutor({ ssm: client, target: ssmTarget({ instanceIds: pair }), poll: { firstMs: 100, capMs: 100 } });
    const result = await ex.runStep(shellStep('sleep 20'), collectingContext());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(new RegExp(`could not follow command .*AccessDeniedException.*; CancelCommand sent; it may still be running on: ${pair.join(', ')}`));
    expect(sim3.calls.get('CancelCommand')).toBe(1);
    expect(sim3.violations).toEqual([]);
  });
});
