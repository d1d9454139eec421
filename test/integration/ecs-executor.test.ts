// EcsExecutor on the simulator: real @aws-sdk/client-ecs against the ECS stand-in (requests checked against
// the ECS model), the native data channel against the agent simulator, steps run detached on this machine.
// Side effects (pid files, counters) prove what ran and what was stopped.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, SqlStep } from '../../src/runbook/model.js';
import { APP_RUNTIME_ID, removeRunDirectory, runOnExecutor, shellStep, startSimulator, TASK_ARN, type Simulator } from '../support/ecs-simulator/harness.js';
import { REMOTE_ROOT } from '../../src/adapters/aws/ecs/runner-command.js';
import { DEFAULT_TUNING } from '../../src/adapters/aws/ecs/session-context.js';
import { createKmsStandin } from '../support/kms-standin.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const database: Database = { name: 'main', engine: 'postgres', target: 'app', urlEnv: 'OPSGATE_TEST_DB_URL' };
const kms = createKmsStandin();
const scratch = mkdtempSync(join(tmpdir(), 'opsgate-ecs-exec-'));
let postgres: TestPostgres;
let sim: Simulator;

beforeAll(async () => {
  postgres = await startPostgres();
  sim = await startSimulator({ containerEnv: { OPSGATE_TEST_DB_URL: postgres.url }, kmsDecrypt: (blob, context) => kms.decrypt(blob, context) });
}, 120_000);
afterAll(async () => {
  await sim?.close();
  await postgres?.stop();
  expect(sim.api.violations).toEqual([]);
  expect(sim.agent.violations).toEqual([]);
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidOf = (file: string) => Number(readFileSync(file, 'utf8').trim());
const runDirectoryGone = (runId: string) => !existsSync(`${REMOTE_ROOT}/run-${runId}`);

describe('EcsExecutor on the simulator', () => {
  it('prepare picks the running task of the service and the named container', async () => {
    const resolved = await sim.executor().prepare(new AbortController().signal);
    expect(resolved.members).toEqual([TASK_ARN]);
    expect(resolved.description).toBe('ECS task 0123456789abcdef0123456789abcdef (container app) in cluster prod');
  });

  it.each([
    ['exit 0', 0, 'succeeded', 'exited with code 0'],
    ['echo out; exit 1', 1, 'failed', 'exited with code 1'],
    ['exit 3', 3, 'failed', 'exited with code 3'],
    ['no-such-command-xyz', 127, 'failed', 'exited with code 127 (command not found)'],
    ['kill -TERM $$', 143, 'failed', 'killed by signal 15 (SIGTERM) (exit status 143)'],
    ['kill -KILL $$', 137, 'failed', 'killed by signal 9 (SIGKILL) (exit status 137)'],
  ])('exit status of `%s` is exact', async (script, code, status, message) => {
    const run = await runOnExecutor(sim.executor(), shellStep(script));
    expect(run.result).toEqual({ status, exitCode: code, message });
    expect(runDirectoryGone(run.runId)).toBe(true);
  });

  it('stdout and stderr come back apart and byte for byte: non-ASCII, invalid UTF-8, no \\r\\n, no echo', async () => {
    const run = await runOnExecutor(sim.executor(), shellStep("printf 'héllo\\nwörld ✓\\n\\tno newline'; printf 'warn ✗\\n' >&2; printf '\\377\\376raw\\n'"));
    expect(run.result.exitCode).toBe(0);
    expect(run.stdout.equals(Buffer.concat([Buffer.from('héllo\nwörld ✓\n\tno newline'), Buffer.from([0xff, 0xfe]), Buffer.from('raw\n')]))).toBe(true);
    expect(run.stderr.toString('utf8')).toBe('warn ✗\n');
  });

  it('10 MB of output arrives complete and in order', async () => {
    const run = await runOnExecutor(sim.executor(), shellStep('for i in $(seq 1 10); do head -c 1048576 /dev/zero | tr "\\0" "a"; done; seq 1 1000'));
    const expected = Buffer.concat([Buffer.alloc(10 * 1048576, 'a'), Buffer.from(Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''))]);
    expect(run.result.exitCode).toBe(0);
    expect(run.stdout.length).toBe(expected.length);
    expect(createHash('sha256').update(run.stdout).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
  }, 120_000);

  it('a step past its timeout is interrupted in the container (SIGINT to its process group) and reported timed-out', async () => {
    const pidFile = join(scratch, 'timeout.pid');
    const run = await runOnExecutor(sim.executor(), shellStep(`echo started; echo $$ > ${pidFile}; sleep 30; echo never`, { timeoutSeconds: 2 }));
    expect(run.result).toEqual({ status: 'timed-out', exitCode: 130, message: "timed out after 2 s: sent SIGINT to the step's process group; it stopped (killed by signal 2 (SIGINT) (exit status 130))" });
    expect(run.stdout.toString()).toBe('started\n');
    expect(alive(pidOf(pidFile))).toBe(false);
  });

  it('cancel: a step that ignores SIGINT is killed with SIGKILL after 1 s, and the message says so', async () => {
    const pidFile = join(scratch, 'stubborn.pid');
    const abort = new AbortController();
    const started = Date.now();
    const run = await runOnExecutor(sim.executor(), shellStep(`trap '' INT; echo $$ > ${pidFile}; echo ready; while :; do sleep 0.2; done`), {
      signal: abort.signal,
      onOutput: async () => void setTimeout(() => abort.abort(), 100),
    });
    expect(run.result.status).toBe('cancelled');
    expect(run.result.exitCode).toBe(137);
    expect(run.result.message).toBe("cancelled: sent SIGINT to the step's process group; it was still running after 1 s and was killed with SIGKILL (killed by signal 9 (SIGKILL) (exit status 137))");
    expect(alive(pidOf(pidFile))).toBe(false);
    console.log(`cancel confirmed ${Date.now() - started} ms after the step started`);
  });

  it('cancel while the connection is down: a separate `stop` ExecuteCommand interrupts the step', async () => {
    const pidFile = join(scratch, 'cut-cancel.pid');
    const abort = new AbortController();
    const callsBefore = sim.api.calls.length;
    const run = await runOnExecutor(sim.executor(), shellStep(`echo $$ > ${pidFile}; echo ready; sleep 30`), {
      signal: abort.signal,
      onOutput: async () =>
        void setTimeout(() => {
          sim.agent.cutAll();
          abort.abort();
        }, 50),
    });
    expect(run.result).toMatchObject({ status: 'cancelled', exitCode: 130 });
    const commands = sim.api.calls.slice(callsBefore).filter((c) => c.operation === 'ExecuteCommand').map((c) => (parse(String(c.body['command'])) as string[])[5]);
    expect(commands).toEqual(['run', 'stop']);
    expect(alive(pidOf(pidFile))).toBe(false);
  });

  it('cancel with a large backlog still to send: the runner confirms the stop ahead of it, and the result says the step stopped', async () => {
    const pidFile = join(scratch, 'backlog.pid');
    const abort = new AbortController();
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    // The audit log stalls, so the runner can send no more than one window of the 20 MB; once the step has
    // written all of it (its pid file appears) the run is cancelled, and the log resumes only after the budget.
    const poll = setInterval(() => {
      if (abort.signal.aborted || !existsSync(pidFile)) return;
      abort.abort();
      setTimeout(release, 3 * DEFAULT_TUNING.stopBudgetMs);
    }, 20);
    try {
      const run = await runOnExecutor(sim.executor(), shellStep(`head -c 20000000 /dev/zero | tr "\\0" q; echo $$ > ${pidFile}; sleep 30`), { signal: abort.signal, onOutput: () => stalled });
      expect(run.result.status).toBe('cancelled');
      expect(run.result.exitCode).toBe(130);
      expect(run.result.message).toMatch(
        new RegExp(`^cancelled: sent SIGINT to the step's process group; it stopped \\(killed by signal 2 \\(SIGINT\\) \\(exit status 130\\)\\); the rest of its output did not arrive within the ${DEFAULT_TUNING.stopBudgetMs / 1000} s stop budget and stays in task 0123456789abcdef0123456789abcdef \\(/tmp/opsgate/run-test-`),
      );
      expect(run.stdout.length).toBeLessThan(20_000_000);
      expect(run.stdout.equals(Buffer.alloc(run.stdout.length, 'q'))).toBe(true);
      expect(alive(pidOf(pidFile))).toBe(false);
      removeRunDirectory(run.runId);
    } finally {
      clearInterval(poll);
      release();
    }
  });

  it('when the audit log rejects output the step is stopped in the container and reported', async () => {
    const pidFile = join(scratch, 'audit.pid');
    const run = await runOnExecutor(sim.executor(), shellStep(`echo $$ > ${pidFile}; echo first; sleep 30`), {
      onOutput: async () => {
        throw new Error('CloudWatch Logs is unavailable');
      },
    });
    expect(run.result.status).toBe('cancelled');
    expect(run.result.message).toMatch(/^output could not be recorded \(CloudWatch Logs is unavailable\), so the step was stopped; sent SIGINT.*; its full output stays in task 0123456789abcdef0123456789abcdef \(\/tmp\/opsgate\/run-test-/);
    expect(alive(pidOf(pidFile))).toBe(false);
    expect(runDirectoryGone(run.runId)).toBe(false); // kept on purpose: it holds the output the audit log missed
    removeRunDirectory(run.runId);
  });

  it('back-pressure: with a stalled audit log at most one window of output leaves the container', async () => {
    const windowBytes = 1024 * 1024;
    const before = sim.agent.stats.outputBytes;
    let stalled = true;
    let sentWhileStalled = 0;
    const run = await runOnExecutor(sim.executor(undefined, { tuning: { windowBytes } }), shellStep('head -c 30000000 /dev/zero | tr "\\0" "b"'), {
      onOutput: async () => {
        if (!stalled) return;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        sentWhileStalled = sim.agent.stats.outputBytes - before;
        stalled = false;
      },
    });
    expect(run.result.exitCode).toBe(0);
    expect(run.stdout.equals(Buffer.alloc(30_000_000, 'b'))).toBe(true);
    // The runner stops at the grant: one window plus at most one 256 KiB record and its header.
    expect(sentWhileStalled).toBeGreaterThan(0);
    expect(sentWhileStalled).toBeLessThanOrEqual(windowBytes + 262144 + 1024);
  }, 120_000);

  it('SQL step runs psql in the container against real PostgreSQL; a failing statement exits 3', async () => {
    const sql = (text: string): SqlStep => ({ kind: 'sql', name: 'sql', index: 1, timeoutSeconds: 60, continueOnError: false, sql: text, database: 'main', transaction: true });
    const ok = await runOnExecutor(sim.executor(), sql("SELECT 'ecs-' || 'sql-ok' AS answer, 'żółw' AS unicode;"), { database });
    expect(ok.result).toEqual({ status: 'succeeded', exitCode: 0, message: 'exited with code 0' });
    expect(ok.stdout.toString()).toMatch(/ecs-sql-ok \| żółw/);
    const bad = await runOnExecutor(sim.executor(), sql('SELECT * FROM no_such_table;'), { database });
    expect(bad.result).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(bad.stderr.toString()).toMatch(/relation "no_such_table" does not exist/);
  });

  it('KMS on: GenerateDataKey with ecs:<cluster>_<taskId>_<runtimeId>, then the step runs encrypted', async () => {
    sim.api.options.kmsKeyId = 'alias/ecs-exec';
    try {
      const executor = sim.executor(undefined, { generateDataKey: async (request) => kms.generateDataKey(request) });
      const run = await runOnExecutor(executor, shellStep('echo encrypted-ok'));
      expect(run.result).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect(run.stdout.toString()).toBe('encrypted-ok\n');
      expect(kms.generateCalls.at(-1)?.EncryptionContext['aws:ssm:TargetId']).toBe(`ecs:prod_0123456789abcdef0123456789abcdef_${APP_RUNTIME_ID}`);
    } finally {
      delete sim.api.options.kmsKeyId;
    }
  });
});
