// `node dist/index.js` for the merge phase with an ECS Exec target, as the runner starts it on `push`: a real
// push payload, the GitHub stand-in, moto for the audit log, the ECS and data-channel simulator (strict SigV4,
// KMS on) via AWS_ENDPOINT_URL_ECS, a KMS stand-in via AWS_ENDPOINT_URL_KMS, and a real PostgreSQL reached from
// the simulated container. The transcript read back from moto must equal what each step's script prints when
// run directly on this machine (the simulated container), byte for byte.
// Run under the dist lock: flock /tmp/opsgate-dist.lock sh -c 'npm run bundle >/dev/null && npx vitest run test/e2e/ecs-action.test.ts'
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStepScript } from '../../src/run/step-script.js';
import { loadSqlParser } from '../../src/runbook/lint-sql.js';
import type { Database } from '../../src/runbook/model.js';
import { startAgentServer, type AgentServer } from '../support/ecs-simulator/agent-server.js';
import { startEcsApi, type EcsApi } from '../support/ecs-simulator/ecs-api.js';
import { defaultTask } from '../support/ecs-simulator/harness.js';
import { CONFIG_PATH, ecsConfigYaml, ecsRunbookYaml, pushPayload, readTranscript, seedMergedPr, type E2eStep } from '../support/ecs-e2e.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';
import { createKmsStandin } from '../support/kms-standin.js';
import { startKmsHttpStandin, type KmsHttpStandin } from '../support/kms-http-standin.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { runAction, type ActionRunResult } from '../support/run-action.js';

const TOKEN = 'ghs_ecsE2eToken0042';
const LOG_GROUP = '/opsgate/audit-ecs';
const AWS = { accessKeyId: 'AKIAECSE2EEXAMPLE001', secretAccessKey: 'ecs-e2e-secret-key-0001' };
const configText = ecsConfigYaml(LOG_GROUP, { cluster: 'prod', service: 'api', container: 'app' });
const database: Database = { name: 'main', engine: 'postgres', target: 'app', urlEnv: 'OPSGATE_E2E_DB_URL' };
const scratch = mkdtempSync(join(tmpdir(), 'opsgate-ecs-e2e-'));
const kms = createKmsStandin();

let gh: GitHubStandin;
let moto: MotoServer;
let logs: CloudWatchLogsClient;
let postgres: TestPostgres;
let agent: AgentServer;
let api: EcsApi;
let kmsHttp: KmsHttpStandin;

beforeAll(async () => {
  [moto, gh, postgres] = await Promise.all([startMoto(), startGitHubStandin({ owner: 'acme', repo: 'ops' }), startPostgres()]);
  logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  gh.addToken(TOKEN, { login: 'github-actions[bot]', comment: true, statuses: true, teams: false, user: false });
  gh.setPermission('bob', 'write');
  agent = await startAgentServer({
    containerEnv: { OPSGATE_E2E_DB_URL: postgres.url },
    kmsDecrypt: (blob, context) => kms.decrypt(blob, context),
    strictSigV4: { ...AWS, region: 'eu-west-1' },
  });
  api = await startEcsApi({ agent, tasks: [defaultTask()], kmsKeyId: 'alias/ecs-exec' });
  kmsHttp = await startKmsHttpStandin(kms);
}, 180_000);

afterAll(async () => {
  gh?.assertClean();
  expect(api?.violations ?? []).toEqual([]);
  expect(agent?.violations ?? []).toEqual([]);
  expect(kmsHttp?.violations ?? []).toEqual([]);
  await Promise.all([gh?.close(), moto?.stop(), api?.close(), agent?.close(), kmsHttp?.close()]);
  await postgres?.stop();
});

function runMerge(n: number, merge: string, onSpawn?: Parameters<typeof runAction>[0]['onSpawn']): Promise<ActionRunResult> {
  return runAction({
    ...(onSpawn ? { onSpawn } : {}),
    eventName: 'push',
    payload: pushPayload(merge),
    sha: merge,
    inputs: { 'github-token': TOKEN, mode: 'auto', config: CONFIG_PATH, runbooks: 'runbooks/**/*.{yml,yaml}' },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_RUN_ID: `${n}00`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: AWS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: moto.endpoint,
      AWS_ENDPOINT_URL_ECS: api.endpoint,
      AWS_ENDPOINT_URL_KMS: kmsHttp.endpoint,
    },
  });
}

/** What the step prints when its script runs straight on this machine, i.e. in the simulated container. */
function printedLocally(script: string): { stdout: Buffer; stderr: Buffer; status: number | null } {
  const run = spawnSync('bash', ['-c', script], { env: { ...process.env, OPSGATE_E2E_DB_URL: postgres.url }, maxBuffer: 64 * 1024 * 1024 });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status };
}

const STEPS: E2eStep[] = [
  { name: 'unicode', run: "printf 'héllo wörld ✓ — 日本語 🚀\\n\\tno newline at the end'; printf 'avertissement: ça va ✗\\n' >&2" },
  { name: 'ten megabytes', run: 'seq 1 1400000; head -c 65536 /dev/zero | tr "\\0" "é" >&2' },
  { name: 'query', sql: "SELECT 'ecs-' || 'sql' AS tag, 'żółw 🐢' AS word, 42 AS answer;" },
  { name: 'exit 1', run: 'echo failing; exit 1', continueOnError: true },
  { name: 'exit 3', run: 'exit 3', continueOnError: true },
  { name: 'not found', run: 'no-such-command-opsgate', continueOnError: true },
  { name: 'signal', run: 'kill -TERM $$', continueOnError: true },
];

describe('node dist/index.js: merge phase on an ECS Exec target', () => {
  it('runs shell and SQL steps with exact exit codes; the CloudWatch transcript is byte for byte what they printed', async () => {
    const merge = await seedMergedPr(gh, TOKEN, 71, configText, ecsRunbookYaml('ECS e2e', STEPS));
    const run = await runMerge(71, merge);
    expect(run.outputs['reason-code'], run.stderr + run.stdout).toBe('ok');
    const result = JSON.parse(run.outputs.result!) as { pullRequests: Array<{ runbooks: Array<{ steps: Array<{ exitCode: number | null; status: string }> }> }> };
    const steps = result.pullRequests[0]!.runbooks[0]!.steps;
    expect(steps.map((s) => [s.status, s.exitCode])).toEqual([['succeeded', 0], ['succeeded', 0], ['succeeded', 0], ['failed', 1], ['failed', 3], ['failed', 127], ['failed', 143]]);

    const transcript = await readTranscript(logs, LOG_GROUP, 'r71.yml');
    expect(transcript.verify).toMatchObject({ ok: true, runFinished: true });
    await loadSqlParser();
    for (const [index, step] of STEPS.entries()) {
      const base = { name: step.name, index, timeoutSeconds: 120, continueOnError: false };
      const script = renderStepScript('sql' in step ? { ...base, kind: 'sql', sql: step.sql, database: 'main', transaction: true } : { ...base, kind: 'shell', run: step.run }, database);
      const local = printedLocally(script);
      expect(transcript.output(index, 'stdout').equals(local.stdout), `stdout of step ${index + 1}`).toBe(true);
      expect(transcript.output(index, 'stderr').equals(local.stderr), `stderr of step ${index + 1}`).toBe(true);
    }
    expect(transcript.output(1, 'stdout').length).toBeGreaterThan(10_000_000);
    expect(transcript.output(0, 'stdout').toString('utf8')).toBe('héllo wörld ✓ — 日本語 🚀\n\tno newline at the end');
    expect(transcript.output(2, 'stdout').toString('utf8')).toMatch(/ecs-sql \| żółw 🐢 \|\s+42/);
    const finished = transcript.events.filter((e) => e.type === 'step.finished').map((e) => e.message);
    expect(finished.at(-1)).toBe('killed by signal 15 (SIGTERM) (exit status 143)');
    // The session was KMS-encrypted (GenerateDataKey through @aws-sdk/client-kms) and every upgrade SigV4-signed.
    expect(kms.generateCalls.length).toBeGreaterThanOrEqual(STEPS.length);
    expect(kms.generateCalls.every((c) => c.EncryptionContext['aws:ssm:TargetId']?.startsWith('ecs:prod_0123456789abcdef0123456789abcdef_'))).toBe(true);
    expect(agent.stats.unsignedRejected).toEqual([]);
    expect(gh.comments.some((c) => c.issue === 71 && c.body.startsWith('<!-- opsgate:result -->'))).toBe(true);
  }, 300_000);

  it('SIGINT mid-step: the step is interrupted in the container, the job exits in time, the audit log says what happened', async () => {
    const pidFile = join(scratch, 'cancel.pid');
    const merge = await seedMergedPr(gh, TOKEN, 72, configText, ecsRunbookYaml('ECS cancel', [{ name: 'long', run: `echo $$ > ${pidFile}; echo started; sleep 120` }]));
    let sentAt = 0;
    const run = await runMerge(72, merge, (child) => {
      const poll = setInterval(() => {
        if (!existsSync(pidFile)) return;
        clearInterval(poll);
        setTimeout(() => {
          sentAt = Date.now();
          child.kill('SIGINT');
        }, 300);
      }, 20);
      child.once('exit', () => clearInterval(poll));
    });
    console.log(`job exited ${Date.now() - sentAt} ms after SIGINT (the runner allows 5 s)`);
    expect(run.outputs['reason-code']).toBe('cancelled');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    const transcript = await readTranscript(logs, LOG_GROUP, 'r72.yml');
    const finished = transcript.events.find((e) => e.type === 'step.finished');
    expect(finished).toMatchObject({ status: 'cancelled', exitCode: 130 });
    expect(finished?.message).toBe("cancelled: sent SIGINT to the step's process group; it stopped (killed by signal 2 (SIGINT) (exit status 130))");
    expect(transcript.output(0, 'stdout').toString()).toBe('started\n');
  }, 120_000);
});
