// Full output through the CloudWatch output streams (moto_server): complete read-back, live output while the
// command runs, and what the step says when the streams cannot be read or were never written.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import type { SsmTarget } from '../../src/runbook/model.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, credentials, instanceIds, shellStep, ssmTarget } from '../support/ssm-simulator/test-kit.js';

const [first, second, third] = instanceIds(3, 'w');
const group = '/ops/ssm-output';
let moto: MotoServer;
let proxy: FaultProxy;
let sim: SsmSimulator;
let ssm: SSMClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  moto = await startMoto();
  logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
  proxy = await startFaultProxy(moto.endpoint);
  // The agent uploads every 30 s; 200 ms here so that output shows up while a short command runs.
  sim = await startSsmSimulator({ instances: [{ id: first! }, { id: second! }, { id: third! }], logs, uploadIntervalMs: 200 });
  ssm = new SSMClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials });
}, 60_000);
afterAll(async () => {
  ssm?.destroy();
  logs?.destroy();
  await sim?.close();
  await proxy?.stop();
  await moto?.stop();
});
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const target = (ids: string[]): SsmTarget => ssmTarget({ instanceIds: ids, outputLogGroup: group });
const executor = (ids: string[], client = logs) => createSsmExecutor({ ssm, logs: client, target: target(ids), poll: { capMs: 500 } });
const statusOf = (instanceId: string) => [...sim.commands.values()].at(-1)!.invocations.find((i) => i.instanceId === instanceId)!.status;

it('reads a 200,000-character output back completely from the CloudWatch output streams', async () => {
  const ctx = collectingContext();
  const result = await executor([first!]).runStep(shellStep("for i in $(seq 1 20000); do printf '%09d\\n' $i; done; echo finished >&2"), ctx);
  const expected = Array.from({ length: 20000 }, (_, i) => `${String(i + 1).padStart(9, '0')}\n`).join('');
  expect(result.status).toBe('succeeded');
  expect(ctx.out.length).toBe(200_000);
  expect(ctx.out === expected).toBe(true);
  expect(ctx.err).toBe('finished\n');
  // The streams are where SSM puts them, so a truncation notice can point users there.
  const commandId = [...sim.commands.keys()].at(-1)!;
  const page = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: `${commandId}/${first}/aws-runShellScript/stderr`, startFromHead: true }));
  expect(page.events?.map((e) => e.message).join('')).toBe('finished\n');
});

it('reads multi-byte output back exactly from the output streams', async () => {
  const ctx = collectingContext();
  // 40,000 lines of "é€😀" plus a newline: 440,000 UTF-8 bytes, 200,000 UTF-16 units.
  const result = await executor([first!]).runStep(shellStep("for i in $(seq 1 40000); do printf 'é€😀\\n'; done"), ctx);
  expect(result.status).toBe('succeeded');
  expect(ctx.out === 'é€😀\n'.repeat(40_000)).toBe(true);
});

it('streams output while the command still runs, without repeating it at the end', async () => {
  const seenWhileRunning: boolean[] = [];
  const ctx = collectingContext();
  const collect = ctx.onOutput;
  ctx.onOutput = async (stream, chunk) => {
    seenWhileRunning.push(statusOf(first!) === 'InProgress');
    await collect(stream, chunk);
  };
  const result = await executor([first!]).runStep(shellStep('echo early; sleep 3; echo late'), ctx);
  expect(result.status).toBe('succeeded');
  expect(ctx.out).toBe('early\nlate\n');
  expect(seenWhileRunning[0]).toBe(true);
});

it('attributes output per instance with a header line each', async () => {
  const ctx = collectingContext();
  const result = await executor([first!, second!]).runStep(shellStep('echo "from $SIM_INSTANCE_ID"; echo "err $SIM_INSTANCE_ID" >&2'), ctx);
  expect(result.status).toBe('succeeded');
  for (const id of [first!, second!]) {
    expect(ctx.out).toContain(`==> ${id} <==\nfrom ${id}\n`);
    expect(ctx.err).toContain(`==> ${id} <==\nerr ${id}\n`);
  }
  expect(ctx.out.split('==>').length - 1).toBe(2);
});

it('stops the command when the output listener fails (the audit log is down)', async () => {
  const ctx = collectingContext();
  ctx.onOutput = async () => {
    throw new Error('audit log unavailable');
  };
  const result = await executor([first!]).runStep(shellStep('echo early; sleep 30'), ctx);
  expect(result.status).toBe('cancelled');
  const commandId = [...sim.commands.keys()].at(-1)!;
  expect(sim.requests.some((r) => r.operation === 'CancelCommand' && r.commandId === commandId)).toBe(true);
});

describe('when the output group cannot be read', () => {
  it('says so, shows SSM’s first 24,000/8,000 characters, and says where the full copy is', async () => {
    proxy.denyAlways('GetLogEvents');
    const denied = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: proxy.endpoint, credentials, maxAttempts: 1 });
    const ctx = collectingContext();
    const result = await executor([third!], denied).runStep(shellStep("head -c 30000 /dev/zero | tr '\\0' y"), ctx);
    denied.destroy();
    expect(ctx.out).toBe('y'.repeat(24000));
    const message = result.perTarget![0]!.message;
    expect(message).toContain(`could not read CloudWatch group ${group} (AccessDenied: logs:GetLogEvents); showing SSM's first 24,000/8,000 characters`);
    expect(message).toMatch(new RegExp(`output truncated: .* the full copy is in CloudWatch Logs group ${group}, streams .*/${third}/aws-runShellScript/stdout`));
    expect(ctx.err).toContain(`opsgate: could not read CloudWatch group ${group} (AccessDenied: logs:GetLogEvents)`);
    expect(result.message).toMatch(/live output from CloudWatch group .* stopped/);
  });
});

describe('when the instance role may not write the output group', () => {
  let noUpload: SsmSimulator;
  let client: SSMClient;
  beforeAll(async () => {
    noUpload = await startSsmSimulator({ instances: [{ id: first! }], logs, uploadDenied: true });
    client = new SSMClient({ region: 'us-east-1', endpoint: noUpload.endpoint, credentials });
  });
  afterAll(async () => {
    client?.destroy();
    await noUpload?.close();
  });

  it('falls back to SSM’s copy and says the streams are missing', async () => {
    const ctx = collectingContext();
    const ex = createSsmExecutor({ ssm: client, logs, target: target([first!]), poll: { capMs: 500 } });
    const result = await ex.runStep(shellStep('echo still here'), ctx);
    expect(result.status).toBe('succeeded');
    expect(ctx.out).toBe('still here\n');
    expect(result.perTarget![0]!.message).toMatch(new RegExp(`CloudWatch group ${group} has no output streams for this instance .*logs:PutLogEvents`));
    expect(noUpload.violations).toEqual([]);
  });
});
