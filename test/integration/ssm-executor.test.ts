import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import type { ShellStep, SsmTarget, Step } from '../../src/runbook/model.js';
import type { StepContext } from '../../src/ports/executor.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';

// The shared step-script renderer is built by another slice; tests use a plain renderer: the step's shell text.
const renderShell = (step: Step): string => (step.kind === 'shell' ? step.run : 'exit 99');

const ids = (n: number, prefix = 'a'): string[] =>
  Array.from({ length: n }, (_, i) => `i-${prefix}${String(i).padStart(16, '0')}`);

const step = (run: string, timeoutSeconds = 60): ShellStep => ({
  kind: 'shell', name: 'step one', index: 0, timeoutSeconds, continueOnError: false, run,
});

function context(signal = new AbortController().signal): StepContext & { out: string; err: string } {
  const ctx = {
    runId: 'run-1', signal, out: '', err: '',
    onOutput: async (stream: 'stdout' | 'stderr', chunk: Uint8Array) => {
      ctx[stream === 'stdout' ? 'out' : 'err'] += Buffer.from(chunk).toString('utf8');
    },
  };
  return ctx;
}

let sim: SsmSimulator;
let ssm: SSMClient;
const single = ids(1, 's')[0]!;
const tagged = ids(120, 't');
const offline = ids(1, 'o')[0]!;

beforeAll(async () => {
  sim = await startSsmSimulator({
    instances: [
      { id: single },
      { id: offline, state: 'offline' },
      ...tagged.map((id) => ({ id, tags: { Role: 'web' } })),
    ],
    invocationDoesNotExistPolls: 2,
    deliveryTimeScale: 100,
    throttleEvery: 17,
  });
  ssm = new SSMClient({
    region: 'us-east-1', endpoint: sim.endpoint, maxAttempts: 5,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
});
afterAll(async () => {
  ssm?.destroy();
  await sim?.close();
});
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const ssmTarget = (extra: Partial<SsmTarget>): SsmTarget => ({
  kind: 'ssm', name: 'fleet', maxConcurrency: '10', maxErrors: '0', ...extra,
});
const executor = (target: SsmTarget) =>
  createSsmExecutor({ ssm, target, renderScript: renderShell, commentPrefix: 'opsgate acme/ops#12', deliveryTimeoutSeconds: 30, pollCapMs: 1000 });

describe('SSM executor against the simulator (real SDK client)', () => {
  it('runs on one instance and returns its output', async () => {
    const ex = executor(ssmTarget({ instanceIds: [single] }));
    expect((await ex.prepare(new AbortController().signal)).members).toEqual([single]);
    const ctx = context();
    const result = await ex.runStep(step('echo hello from $SIM_INSTANCE_ID; echo warn >&2'), ctx);
    expect(result.status).toBe('succeeded');
    expect(result.exitCode).toBe(0);
    expect(ctx.out).toBe(`hello from ${single}\n`);
    expect(ctx.err).toBe('warn\n');
  });

  it('without an output log group, passes on the truncated 24,000 chars and says so', async () => {
    const ctx = context();
    const result = await executor(ssmTarget({ instanceIds: [single] })).runStep(
      step("head -c 200000 /dev/zero | tr '\\0' x"),
      ctx,
    );
    expect(result.status).toBe('succeeded');
    expect(ctx.out).toBe('x'.repeat(24000));
    expect(ctx.err).toMatch(/truncated by SSM .* full copy: nowhere/);
  });

  it('reports exit code 3 as a failure', async () => {
    const result = await executor(ssmTarget({ instanceIds: [single] })).runStep(step('echo boom; exit 3'), context());
    expect(result).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(result.message).toMatch(/exited with code 3/);
  });

  it('refuses the reboot exit code 194', async () => {
    const ctx = context();
    const result = await executor(ssmTarget({ instanceIds: [single] })).runStep(step('exit 194'), ctx);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/194\/3010/);
    expect(ctx.err).toMatch(/reboot and rerun/);
  });

  it('maps an execution timeout', async () => {
    const result = await executor(ssmTarget({ instanceIds: [single] })).runStep(step('sleep 30', 1), context());
    expect(result.status).toBe('timed-out');
    expect(result.message).toMatch(/timed out after 1s/);
  });

  it('cancels a running command when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const result = await executor(ssmTarget({ instanceIds: [single] })).runStep(step('sleep 30'), context(controller.signal));
    expect(result.status).toBe('cancelled');
    expect(sim.calls.get('CancelCommand')).toBeGreaterThan(0);
    expect(result.message).toMatch(/CancelCommand sent/);
  });

  it('reports an instance that never answers as Delivery Timed Out', async () => {
    const result = await executor(ssmTarget({ instanceIds: [offline] })).runStep(step('echo never'), context());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/never started.*delivery timeout/);
  });

  it('runs on 120 tagged instances, max-concurrency 10, max-errors 0 stops after the first failure', async () => {
    const failing = tagged[25]!;
    const ex = executor(ssmTarget({ tags: { Role: 'web' } }));
    const result = await ex.runStep(
      step(`sleep 0.05; if [ "$SIM_INSTANCE_ID" = "${failing}" ]; then exit 7; fi; echo ok`),
      context(),
    );
    expect(result.status).toBe('failed');
    expect(result.perTarget).toHaveLength(120);
    const byId = new Map(result.perTarget!.map((t) => [t.id, t]));
    expect(byId.get(failing)).toMatchObject({ status: 'failed', exitCode: 7 });
    const terminated = result.perTarget!.filter((t) => /max-errors/.test(t.message));
    expect(terminated.length).toBeGreaterThan(60);
    expect(result.perTarget!.filter((t) => t.status === 'succeeded').length).toBeLessThan(40);
  });

  it('explains an unmanaged instance id', async () => {
    await expect(
      executor(ssmTarget({ instanceIds: ['i-0000000000000dead'] })).runStep(step('true'), context()),
    ).rejects.toThrow(/not managed by SSM or is offline/);
  });

  it('reports no instances matching the tags', async () => {
    const result = await executor(ssmTarget({ tags: { Role: 'nothing' } })).runStep(step('true'), context());
    expect(result.status).toBe('error');
    expect(result.message).toMatch(/no instances matched/);
  });

  it('splits more than 50 instance ids across SendCommand calls', async () => {
    const before = sim.calls.get('SendCommand') ?? 0;
    const result = await executor(ssmTarget({ instanceIds: tagged.slice(0, 60), maxConcurrency: '60' })).runStep(step('true'), context());
    expect(result.status).toBe('succeeded');
    expect(result.perTarget).toHaveLength(60);
    expect((sim.calls.get('SendCommand') ?? 0) - before).toBe(2);
  });
});
