// The composition root builds `new SSMClient({ region })` and nothing else: the simulator must be reachable the
// way users point the SDK elsewhere, through AWS_ENDPOINT_URL_SSM, with a default-constructed client.
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, instanceIds, shellStep, ssmTarget } from '../support/ssm-simulator/test-kit.js';

const instance = instanceIds(1, 'e')[0]!;
const env = {
  AWS_ENDPOINT_URL_SSM: '',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDENVTEST',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};
const saved: Record<string, string | undefined> = {};
let sim: SsmSimulator;

beforeAll(async () => {
  sim = await startSsmSimulator({ instances: [{ id: instance }] });
  env.AWS_ENDPOINT_URL_SSM = sim.endpoint;
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await sim?.close();
});

it('runs a step through AWS_ENDPOINT_URL_SSM with a default-constructed SSMClient', async () => {
  const ssm = new SSMClient();
  try {
    const executor = createSsmExecutor({ ssm, target: ssmTarget({ instanceIds: [instance] }) });
    expect((await executor.prepare(new AbortController().signal)).members).toEqual([instance]);
    const ctx = collectingContext();
    const result = await executor.runStep(shellStep('echo via the environment'), ctx);
    expect(result.status).toBe('succeeded');
    expect(ctx.out).toBe('via the environment\n');
    expect(sim.calls.get('SendCommand')).toBe(1);
    expect(sim.violations).toEqual([]);
  } finally {
    ssm.destroy();
  }
});
