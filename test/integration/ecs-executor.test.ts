// EcsExecutor end to end: real @aws-sdk/client-ecs against the ECS API stand-in (requests validated
// against the ECS model), the native data channel against the agent simulator, commands in a real pty.
import { createHash } from 'node:crypto';
import { ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcsExecutor } from '../../src/adapters/aws/ecs-executor.js';
import { systemClock } from '../../src/ports/clock.js';
import type { StepContext } from '../../src/ports/executor.js';
import type { Database, EcsTarget, ShellStep, SqlStep } from '../../src/runbook/model.js';
import { startAgentServer, type AgentServer } from '../support/ecs-simulator/agent-server.js';
import { startEcsApi, type EcsApi } from '../support/ecs-simulator/ecs-api.js';
import { createKmsStandin } from '../support/kms-standin.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
const target: EcsTarget = { kind: 'ecs', name: 'app', cluster: 'prod', service: 'api', container: 'app' };
const database: Database = { name: 'main', engine: 'postgres', target: 'app', urlEnv: 'OPSGATE_TEST_DB_URL' };

let postgres: TestPostgres;
let agent: AgentServer;
let api: EcsApi;
const kms = createKmsStandin();

beforeAll(async () => {
  postgres = await startPostgres();
  agent = await startAgentServer({
    containerEnv: { OPSGATE_TEST_DB_URL: postgres.url },
    kmsDecrypt: (blob, context) => kms.decrypt(blob, context),
  });
  api = await startEcsApi({
    agent,
    tasks: [
      {
        taskArn: TASK,
        clusterArn: CLUSTER,
        lastStatus: 'RUNNING',
        enableExecuteCommand: true,
        containers: [
          { name: 'sidecar', runtimeId: 'aaaa-1', agentStatus: 'RUNNING' },
          { name: 'app', runtimeId: '0123456789abcdef0123456789abcdef-2531612879', agentStatus: 'RUNNING' },
        ],
      },
    ],
  });
}, 120_000);
afterAll(async () => {
  await api?.close();
  await agent?.close();
  await postgres?.stop();
});

function ecsClient(): ECSClient {
  return new ECSClient({
    region: 'eu-west-1',
    endpoint: api.endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

function shell(run: string): ShellStep {
  return { kind: 'shell', name: 'step', index: 0, timeoutSeconds: 60, continueOnError: false, run };
}

async function run(step: ShellStep | SqlStep, executor = new EcsExecutor(target, { ecs: ecsClient(), clock: systemClock })) {
  const chunks: Buffer[] = [];
  const context: StepContext = {
    runId: 'run-1',
    database,
    signal: new AbortController().signal,
    onOutput: async (_stream, chunk) => void chunks.push(Buffer.from(chunk)),
  };
  await executor.prepare(context.signal);
  const result = await executor.runStep(step, context);
  await executor.dispose();
  return { result, output: Buffer.concat(chunks) };
}

describe('EcsExecutor on the simulator', () => {
  it('prepare picks the running task and the named container', async () => {
    const resolved = await new EcsExecutor(target, { ecs: ecsClient(), clock: systemClock }).prepare(new AbortController().signal);
    expect(resolved.members).toEqual([TASK]);
    expect(resolved.description).toContain('container app');
  });

  it.each([
    ['exit 0', 0, 'succeeded'],
    ['echo out; exit 1', 1, 'failed'],
    ['exit 3', 3, 'failed'],
    ['no-such-command-xyz', 127, 'failed'],
    ['kill -TERM $$', 143, 'failed'],
  ])('exit status of %s is exact', async (script, code, status) => {
    const { result } = await run(shell(script));
    expect(result).toMatchObject({ status, exitCode: code });
    if (code === 143) expect(result.message).toMatch(/killed by signal 15 \(SIGTERM\)/);
  });

  it('a step over its timeout is reported as timed-out and the session is closed', async () => {
    const step = { ...shell('echo started; sleep 30; echo never'), timeoutSeconds: 1 };
    const { result, output } = await run(step);
    expect(result).toMatchObject({ status: 'timed-out', exitCode: null });
    expect(output.toString()).toBe('started\n');
  });

  it('output is byte for byte: non-ASCII, no \\r\\n rewriting, no echo, marker removed', async () => {
    const { result, output } = await run(shell("printf 'héllo\\nwörld ✓\\n\\tlast line without newline'"));
    expect(result.exitCode).toBe(0);
    expect(output.toString('utf8')).toBe('héllo\nwörld ✓\n\tlast line without newline');
  });

  it('10 MB of output arrives complete and in order', async () => {
    const { result, output } = await run(shell('for i in $(seq 1 10); do head -c 1048576 /dev/zero | tr "\\0" "a"; done; seq 1 1000'));
    const expected = Buffer.concat([Buffer.alloc(10 * 1048576, 'a'), Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''))]);
    expect(result.exitCode).toBe(0);
    expect(output.length).toBe(expected.length);
    expect(createHash('sha256').update(output).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
  }, 90_000);

  it('with 1% of frames dropped, duplicated and reordered the step output and exit code are exact', async () => {
    const faulty = await startAgentServer({ faults: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.01, seed: 11 } });
    const faultyApi = await startEcsApi({ agent: faulty, tasks: api.options.tasks });
    try {
      const client = new ECSClient({ region: 'eu-west-1', endpoint: faultyApi.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
      const { result, output } = await run(shell('seq 1 100000; exit 3'), new EcsExecutor(target, { ecs: client, clock: systemClock }));
      expect(result).toMatchObject({ status: 'failed', exitCode: 3 });
      expect(output.toString() === Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('')).toBe(true);
      expect(faulty.totalStarts()).toBe(1);
      expect(faulty.faultCounts.dropped * faulty.faultCounts.duplicated * faulty.faultCounts.reordered).toBeGreaterThan(0);
    } finally {
      await faultyApi.close();
      await faulty.close();
    }
  }, 60_000);

  it('SQL step runs psql in the container against real PostgreSQL', async () => {
    const step: SqlStep = {
      kind: 'sql',
      name: 'sql',
      index: 0,
      timeoutSeconds: 60,
      continueOnError: false,
      sql: "SELECT 'ecs-' || 'sql-ok' AS answer;",
      database: 'main',
      transaction: true,
    };
    const { result, output } = await run(step);
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(output.toString()).toContain('ecs-sql-ok');
  });

  it('KMS on: GenerateDataKey with ecs:<cluster>_<taskId>_<runtimeId>, then the step runs encrypted', async () => {
    api.options.kmsKeyId = 'alias/ecs-exec';
    try {
      const executor = new EcsExecutor(target, {
        ecs: ecsClient(),
        clock: systemClock,
        generateDataKey: async (request) => kms.generateDataKey(request),
      });
      const { result, output } = await run(shell('echo encrypted-ok'), executor);
      expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect(output.toString()).toBe('encrypted-ok\n');
      expect(kms.generateCalls.at(-1)?.EncryptionContext['aws:ssm:TargetId']).toBe(
        'ecs:prod_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-2531612879',
      );
    } finally {
      delete api.options.kmsKeyId;
    }
  });

  it('KMS on without a KMS client or permission: clear failure, the command never runs', async () => {
    api.options.kmsKeyId = 'alias/ecs-exec';
    kms.denyGenerateDataKey = true;
    const startsBefore = agent.totalStarts();
    try {
      const denied = await run(
        shell('touch /tmp/opsgate-must-not-run'),
        new EcsExecutor(target, { ecs: ecsClient(), clock: systemClock, generateDataKey: async (r) => kms.generateDataKey(r) }),
      );
      expect(denied.result.status).toBe('error');
      expect(denied.result.message).toMatch(/KMS GenerateDataKey for key alias\/ecs-exec failed: AccessDeniedException/);
      const missing = await run(shell('true'));
      expect(missing.result.message).toMatch(/no KMS client is configured/);
      expect(agent.totalStarts()).toBe(startsBefore);
    } finally {
      delete api.options.kmsKeyId;
      kms.denyGenerateDataKey = false;
    }
  });
});
