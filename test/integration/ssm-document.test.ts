// AWS-RunShellScript's parameters as SSM checks them (aws-facts §1), in the simulator; and opsgate never sending a
// document SSM would refuse as over 64 KB: a large SQL step or script is refused before SendCommand, with the fix.
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { documentSizeProblem } from '../../src/adapters/aws/ssm-document-size.js';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { wrapScriptForSsm } from '../../src/adapters/aws/ssm-wrapper.js';
import { renderStepScript } from '../../src/run/step-script.js';
import { loadSqlParser } from '../../src/runbook/lint-sql.js';
import type { SqlStep } from '../../src/runbook/model.js';
import { startSsmSimulator, type SsmSimulator } from '../support/ssm-simulator/server.js';
import { collectingContext, credentials, instanceIds, shellStep, ssmTarget } from '../support/ssm-simulator/test-kit.js';

const [instance] = instanceIds(1, 'd');
let sim: SsmSimulator;
let ssm: SSMClient;

beforeAll(async () => {
  await loadSqlParser(); // SQL steps are split into statements when rendered
  sim = await startSsmSimulator({ instances: [{ id: instance! }] });
  ssm = new SSMClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  ssm?.destroy();
  await sim?.close();
});
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

/** What SSM answers a SendCommand with these parameters: "accepted" or the error's name and message. */
async function sendWith(Parameters: Record<string, string[]> | undefined): Promise<string> {
  try {
    await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instance!], Parameters }));
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('the simulator checks AWS-RunShellScript parameters as SSM does', () => {
  it.each([
    ['commands of 70 KB', { commands: ['x'.repeat(70 * 1024)] }, /^MaxDocumentSizeExceeded/],
    ['executionTimeout 999999 (over 48 h)', { commands: ['true'], executionTimeout: ['999999'] }, /^InvalidParameters: .*executionTimeout/],
    ['executionTimeout 1.5', { commands: ['true'], executionTimeout: ['1.5'] }, /^InvalidParameters: .*executionTimeout/],
    ['executionTimeout 0', { commands: ['true'], executionTimeout: ['0'] }, /^InvalidParameters/],
    ['two executionTimeout values', { commands: ['true'], executionTimeout: ['60', '70'] }, /^InvalidParameters/],
    ['an unknown parameter', { commands: ['true'], bogus: ['1'] }, /^InvalidParameters: Parameter "bogus"/],
    ['no commands', { executionTimeout: ['60'] }, /^InvalidParameters: .*commands/],
    ['empty commands', { commands: [] }, /^InvalidParameters: .*commands/],
    ['workingDirectory of 4,097 characters', { commands: ['true'], workingDirectory: ['/'.repeat(4097)] }, /^InvalidParameters: .*workingDirectory/],
  ])('refuses %s', async (_name, parameters, expected) => {
    expect(await sendWith(parameters)).toMatch(expected);
  });

  it.each([
    ['the 48 h maximum', { commands: ['true'], executionTimeout: ['172800'] }],
    ['executionTimeout 1', { commands: ['true'], executionTimeout: ['1'] }],
    ['a workingDirectory of 4,096 characters', { commands: ['true'], workingDirectory: ['/'.repeat(4096)] }],
  ])('accepts %s', async (_name, parameters) => {
    expect(await sendWith(parameters)).toBe('accepted');
  });
});

describe('opsgate never sends a document over 64 KB', () => {
  const target = ssmTarget({ name: 'db-host', instanceIds: [instance!] });
  const database = { name: 'orders', engine: 'postgres' as const, target: 'db-host', urlEnv: 'ORDERS_DB_URL' };
  const rows = Array.from({ length: 1500 }, (_, i) => `(${i}, '${'payload-'.repeat(4)}${i}')`).join(',\n');
  const sqlStep: SqlStep = {
    kind: 'sql', name: 'load rows', index: 0, timeoutSeconds: 60, continueOnError: false, database: 'orders', transaction: true,
    sql: `insert into imported(id, body) values\n${rows};`,
  };

  it('refuses a large SQL step before SendCommand, naming the step, the sizes, the limit and the fix', async () => {
    const before = sim.calls.get('SendCommand') ?? 0;
    const result = await createSsmExecutor({ ssm, target }).runStep(sqlStep, { ...collectingContext(), database });
    expect(result).toMatchObject({ status: 'error', exitCode: null });
    expect(result.message).toMatch(
      /^SQL step "load rows" is too large for SSM Run Command on target "db-host"; nothing was sent\. Its SQL is [\d,]+ bytes, which opsgate sends base64-encoded as [\d,]+ bytes of AWS-RunShellScript parameters: more than the 61,440 bytes opsgate allows \(SSM refuses a document over 64 KB\)\. Split the step into smaller steps, or put the data on the instance \(or in S3\) and have the step read it from there\.$/,
    );
    expect(sim.calls.get('SendCommand') ?? 0).toBe(before);
  });

  it('sends the largest script it allows, and SSM accepts it', async () => {
    const fits = (n: number) => documentSizeProblem(shellStep(script(n)), target, { commands: wrapScriptForSsm(renderStepScript(shellStep(script(n))), '00000000-0000-0000-0000-000000000000'), executionSeconds: 60 }) === undefined;
    let [low, high] = [0, 64 * 1024]; // fits(low), !fits(high)
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (fits(mid)) low = mid;
      else high = mid;
    }
    const ctx = collectingContext();
    const result = await createSsmExecutor({ ssm, target }).runStep(shellStep(script(low)), ctx);
    expect(result.status, result.message).toBe('succeeded');
    expect(ctx.out).toBe('fits\n');
    const refused = await createSsmExecutor({ ssm, target }).runStep(shellStep(script(low + 200)), collectingContext());
    expect(refused.message).toMatch(/^Shell step "step one" is too large .*Its script is [\d,]+ bytes/);
  });
});

/** A shell script of about `n` bytes that prints "fits". */
function script(n: number): string {
  return `echo fits\n# ${'p'.repeat(Math.max(0, n - 14))}\n`;
}
