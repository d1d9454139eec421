// Fault injection between the sink and moto: transient errors are retried without duplicates; a response lost
// after CloudWatch accepted a batch of several events yields copies that verify recognises as duplicates; a
// permanent AccessDenied stops the run (through the real orchestrator) with the transcript kept locally; the
// retry budget shrinks on cancellation; and the post step uploads what CloudWatch is missing.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { fallbackPathFor, pendingTranscriptDir, uploadPendingTranscripts } from '../../src/adapters/aws/cloudwatch-pending.js';
import { verifyMessages } from '../../src/audit/verify.js';
import { AuditUnavailableError } from '../../src/ports/audit.js';
import { systemClock } from '../../src/ports/clock.js';
import { runSteps } from '../../src/run/orchestrator.js';
import { createRedactor } from '../../src/run/redaction.js';
import type { CheckedRunbook } from '../../src/runbook/check.js';
import type { Step } from '../../src/runbook/model.js';
import { driveRun, identity, instantClock, logsClient, readBack, steppingClock } from '../support/audit-fixtures.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { checkChainIndependently } from '../support/independent-chain.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { ok, print, ScriptedExecutor } from '../support/run-fakes.js';
import { testRepoConfig } from '../support/repo-config.js';

const GROUP = '/opsgate/faults';
const started = { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' };
let moto: MotoServer;
let proxy: FaultProxy;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  dir = await mkdtemp(join(tmpdir(), 'opsgate-audit-faults-'));
  await logsClient(moto.endpoint).send(new CreateLogGroupCommand({ logGroupName: GROUP }));
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const output = (n: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(300_000, 0x41 + (i % 26)));
const sinkVia = (endpoint: string, extra: Partial<Parameters<typeof createCloudWatchAuditLog>[0]> = {}) =>
  createCloudWatchAuditLog({ client: logsClient(endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock(), ...extra });
const eventCount = (body: Record<string, unknown>) => (body.logEvents as unknown[] | undefined)?.length ?? 0;

describe('audit sink under faults', () => {
  it('retries throttling, 500s and dropped connections with jittered backoff; the read-back has no duplicates', async () => {
    const clock = instantClock();
    proxy.inject('CreateLogStream', ['throttle']);
    proxy.inject('PutLogEvents', ['throttle', 'server-error', 'drop', 'throttle']);
    const before = proxy.injected();
    const log = sinkVia(proxy.endpoint, { clock });
    await driveRun(log, identity(), [output(8), output(3)]);
    expect(proxy.injected() - before).toBe(5);
    expect(clock.sleeps.length).toBe(5); // one backoff per injected fault
    for (const ms of clock.sleeps) expect(ms).toBeGreaterThanOrEqual(100); // half of the 200 ms base, plus jitter
    const messages = await readBack(logsClient(moto.endpoint), GROUP, log.streamName!);
    const seqs = messages.map((m) => (JSON.parse(m) as { seq: number }).seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(verifyMessages(messages)).toMatchObject({ ok: true, duplicatesIgnored: 0 });
    expect(checkChainIndependently(messages)).toMatchObject({ ok: true, duplicates: 0, events: messages.length });
  }, 60_000);

  it('a response lost after CloudWatch accepted a batch of several events: the retry duplicates them, verify says so and passes', async () => {
    proxy.injectWhen('PutLogEvents', 'drop-after-accept', (body) => eventCount(body) >= 5);
    const log = sinkVia(proxy.endpoint);
    await driveRun(log, identity(), [output(6)]);
    const messages = await readBack(logsClient(moto.endpoint), GROUP, log.streamName!);
    const seqs = messages.map((m) => (JSON.parse(m) as { seq: number }).seq);
    const copies = seqs.length - new Set(seqs).size;
    expect(copies).toBeGreaterThanOrEqual(5); // the whole batch is there twice
    const report = verifyMessages(messages, 'event', log.location.chainHead);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, duplicatesIgnored: copies });
    expect(checkChainIndependently(messages)).toMatchObject({ ok: true, duplicates: copies, head: log.location.chainHead });
  }, 60_000);

  it('the same for a batch carrying parts of a split event', async () => {
    proxy.injectWhen('PutLogEvents', 'drop-after-accept', (body) => JSON.stringify(body).includes('\\"type\\":\\"part\\"'));
    const log = sinkVia(proxy.endpoint);
    await log.runStarted(identity(), started);
    await log.stepStarted({ index: 0, name: 'huge', kind: 'sql', command: 'SELECT 1; -- ' + 'x'.repeat(2_500_000) });
    await log.flush(); // the orchestrator's durability points (the AuditLog port leaves them to the caller)
    await log.stepFinished({ index: 0, name: 'huge', result: ok, durationMs: 1 });
    await log.flush();
    await log.runFinished({ outcome: 'proceed', reasonCode: 'ok', message: 'done' });
    await log.flush();
    const stored = await readBack(logsClient(moto.endpoint), GROUP, log.streamName!);
    const report = verifyMessages(stored, 'event', log.location.chainHead);
    expect(report.problems).toEqual([]);
    expect(report.duplicatesIgnored).toBeGreaterThanOrEqual(1);
    expect(checkChainIndependently(stored)).toMatchObject({ ok: true, problems: [], events: report.events, head: log.location.chainHead });
    expect(checkChainIndependently(stored).duplicates).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('permanent AccessDenied mid-step: AuditUnavailableError, and location.localCopy holds the transcript so far', async () => {
    const fallbackPath = join(dir, 'fallback.jsonl');
    const log = sinkVia(proxy.endpoint, { fallbackPath });
    await log.runStarted(identity(), started);
    await log.stepStarted({ index: 0, name: 'long step', kind: 'shell', command: 'tail -f' });
    await log.stepOutput(0, 'stdout', Buffer.from('before the outage\n'));
    proxy.denyAlways('PutLogEvents');
    let error: unknown;
    try {
      for (const chunk of output(10)) await log.stepOutput(0, 'stdout', chunk);
      await log.flush();
    } catch (e) {
      error = e;
    } finally {
      proxy.allow('PutLogEvents');
    }
    expect(error).toBeInstanceOf(AuditUnavailableError);
    expect((error as Error).message).toMatch(/\/opsgate\/faults.*us-east-1.*logs:PutLogEvents/s);
    expect((error as Error).message).toContain(fallbackPath);
    expect(log.location.localCopy).toBe(fallbackPath);
    await expect(log.stepOutput(0, 'stdout', Buffer.from('more'))).rejects.toBeInstanceOf(AuditUnavailableError);
    const kept = (await readFile(fallbackPath, 'utf8')).trim().split('\n');
    expect(kept[0]).toContain('"type":"run.started"');
    expect(kept.some((l) => l.includes('before the outage'))).toBe(true);
    const report = verifyMessages(kept);
    expect(report.events).toBe(kept.length);
    expect(report.problems).toEqual([expect.stringMatching(/without run.finished/)]); // complete chain, interrupted run
  }, 60_000);

  it('runStarted throws AuditUnavailableError naming group, region and fix when the group is missing or access is denied', async () => {
    const missing = createCloudWatchAuditLog({ client: logsClient(proxy.endpoint), logGroup: '/no/such/group', region: 'us-east-1', clock: instantClock() });
    const start = missing.runStarted(identity(), started);
    await expect(start).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(start).rejects.toThrow(/\/no\/such\/group.*us-east-1.*create-log-group/s);
    proxy.denyAlways('CreateLogStream');
    try {
      await expect(sinkVia(proxy.endpoint).runStarted(identity(), started)).rejects.toThrow(/AccessDeniedException.*logs:CreateLogStream/s);
    } finally {
      proxy.allow('CreateLogStream');
    }
  }, 60_000);

  it('once the job is cancelled, retries stop within the cancellation budget instead of using all attempts', async () => {
    const normal = steppingClock();
    proxy.inject('PutLogEvents', Array<'server-error'>(8).fill('server-error'));
    const calm = sinkVia(proxy.endpoint, { clock: normal, maxAttempts: 8 });
    await expect(calm.runStarted(identity(), started)).rejects.toThrow(/kept failing PutLogEvents .* after 8 attempts/s);

    const cancelling = steppingClock();
    const controller = new AbortController();
    controller.abort();
    const before = proxy.calls('PutLogEvents');
    proxy.inject('PutLogEvents', Array<'server-error'>(20).fill('server-error'));
    const log = sinkVia(proxy.endpoint, { clock: cancelling, signal: controller.signal, cancelBudgetMs: 1_000 });
    try {
      await expect(log.runStarted(identity(), started)).rejects.toThrow(/did not complete PutLogEvents .* within the 1000 ms (left|allowed) after cancellation/s);
      expect(proxy.calls('PutLogEvents') - before).toBeLessThan(8);
      expect(cancelling.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(1_000);
    } finally {
      proxy.clear('PutLogEvents'); // leave no queued faults behind, whatever happened: the next tests share the proxy
    }
  }, 60_000);
});

const config = testRepoConfig({ targets: { local: { kind: 'local', name: 'local' } } });
const shell = (index: number, name: string): Step => ({ kind: 'shell', index, name, run: `echo ${name}`, timeoutSeconds: 600, continueOnError: false }) as Step;

describe('the audit-unavailable path through the orchestrator, with the real sink behind the proxy', () => {
  it('stops the step in flight, runs no later step, and keeps everything (the redactor tail too) in the local copy', async () => {
    const fallbackPath = join(dir, 'orchestrated.jsonl');
    // Real sleeps: the orchestrator's watchdog and heartbeat sleep on this clock (AccessDenied is never retried).
    const audit = sinkVia(proxy.endpoint, { fallbackPath, clock: systemClock });
    let sawAbort = false;
    const executor = new ScriptedExecutor({
      first: async (_step, context) => {
        await print(context, 'first step ok\n');
        return ok;
      },
      second: async (_step, context) => {
        await print(context, 'line one\n');
        await audit.flush();
        proxy.denyAlways('PutLogEvents');
        // stdout without a newline is held back by the redactor; then a large stderr write hits the outage.
        await print(context, 'the held-back tail');
        await context.onOutput('stderr', Buffer.alloc(1_100_000, 0x62)).catch(() => undefined);
        sawAbort = context.signal.aborted;
        return { status: 'cancelled', exitCode: null, message: 'stopped' };
      },
      third: async () => ok,
    });
    const checked: CheckedRunbook = { runbook: { path: 'runbooks/r.yml', version: 1, title: 'Outage', target: 'local', steps: [shell(0, 'first'), shell(1, 'second'), shell(2, 'third')] }, text: 'x', digest: `sha256:${'1'.repeat(64)}`, sqlStatements: new Map() };
    let result;
    try {
      result = await runSteps({ checked, config, executor, audit, identity: identity(), startedInfo: started, clock: systemClock, redactor: createRedactor({ secrets: ['s3cr3t-value'], patterns: [] }) });
    } finally {
      proxy.allow('PutLogEvents');
    }
    expect(result.outcome).toMatchObject({ reasonCode: 'audit-unavailable', message: expect.stringMatching(/stopped accepting the transcript during step 2 "second".*logs:PutLogEvents/s) });
    expect(sawAbort).toBe(true);
    expect(executor.ran).toEqual(['first', 'second']);
    expect(result.audit).toMatchObject({ localCopy: fallbackPath });
    const kept = await readFile(fallbackPath, 'utf8');
    expect(kept).toContain('the held-back tail');
    expect(kept).toContain('"type":"step.finished"');
    expect((await readBack(logsClient(moto.endpoint), GROUP, audit.streamName!)).some((m) => m.includes('line one'))).toBe(true);
  }, 60_000);
});

describe('the post step uploads what CloudWatch is missing', () => {
  it('completes a transcript cut off by an outage and by a kill, without duplicates, then removes the local copy', async () => {
    const tempDir = await mkdtemp(join(dir, 'runner-temp-'));
    const id = identity('4242-1');
    const fallbackPath = fallbackPathFor(tempDir, id.runId, id.runbookPath);
    const log = sinkVia(proxy.endpoint, { fallbackPath, flushIntervalMs: 1e9 });
    await log.runStarted(id, started);
    await log.stepStarted({ index: 0, name: 'migrate', kind: 'sql', command: 'select 1' });
    await log.stepOutput(0, 'stdout', Buffer.from('stored before the outage\n'));
    await log.flush();
    proxy.denyAlways('PutLogEvents');
    await log.stepOutput(0, 'stdout', Buffer.alloc(1_200_000, 0x63)).catch(() => undefined); // overflows a batch: refused
    await log.stepOutput(0, 'stdout', Buffer.from('only on the runner\n')).catch(() => undefined);
    await log.stepFinished({ index: 0, name: 'migrate', result: ok, durationMs: 1 }).catch(() => undefined);
    proxy.allow('PutLogEvents');
    // The job is killed here: no run.finished anywhere. The post step runs.
    const reports: string[] = [];
    const reporter = { info: (m: string) => void reports.push(m), warning: (m: string) => void reports.push(`warning: ${m}`) };
    await uploadPendingTranscripts(pendingTranscriptDir(tempDir, id.runId), () => logsClient(moto.endpoint), reporter, instantClock());
    expect(reports).toEqual([expect.stringMatching(/uploaded \d+ audit event\(s\) .* \/opsgate\/faults, stream opsgate\//)]);
    const stored = await readBack(logsClient(moto.endpoint), GROUP, log.streamName!);
    const report = verifyMessages(stored);
    expect(report.duplicatesIgnored).toBe(0);
    expect(report.problems).toEqual([expect.stringMatching(/without run.finished/)]);
    expect(stored.some((m) => m.includes('only on the runner'))).toBe(true);
    expect(existsSync(fallbackPath)).toBe(false);
    await uploadPendingTranscripts(pendingTranscriptDir(tempDir, id.runId), () => logsClient(moto.endpoint), reporter, instantClock());
    expect(reports).toHaveLength(1); // nothing left to do
  }, 60_000);

  it('keeps the file and warns when CloudWatch still refuses; skips a run that never started', async () => {
    const tempDir = await mkdtemp(join(dir, 'runner-temp-'));
    const id = identity('4343-1');
    const fallbackPath = fallbackPathFor(tempDir, id.runId, id.runbookPath);
    const log = sinkVia(proxy.endpoint, { fallbackPath });
    await log.runStarted(id, started);
    await log.stepStarted({ index: 0, name: 'one', kind: 'shell', command: 'true' });
    const neverStarted = identity('4343-2');
    const reports: string[] = [];
    const reporter = { info: (m: string) => void reports.push(m), warning: (m: string) => void reports.push(`warning: ${m}`) };
    proxy.denyAlways('PutLogEvents');
    proxy.denyAlways('CreateLogStream');
    try {
      await log.stepOutput(0, 'stdout', Buffer.alloc(1_100_000, 0x61)).catch(() => undefined);
      // Same job, another runbook whose start CloudWatch refused: it ran nothing, so there is nothing to complete.
      await sinkVia(proxy.endpoint, { fallbackPath: fallbackPathFor(tempDir, id.runId, 'runbooks/other.yml') }).runStarted(neverStarted, started).catch(() => undefined);
      await uploadPendingTranscripts(pendingTranscriptDir(tempDir, id.runId), () => logsClient(proxy.endpoint), reporter, instantClock());
    } finally {
      proxy.allow('PutLogEvents');
      proxy.allow('CreateLogStream');
    }
    expect(reports).toEqual([expect.stringMatching(/^warning: .*could not complete the audit transcript from .*AccessDenied.*The file is kept/s)]);
    expect(existsSync(fallbackPath)).toBe(true);
    expect(existsSync(fallbackPathFor(tempDir, id.runId, 'runbooks/other.yml'))).toBe(true); // kept for the job summary, not uploaded
  }, 60_000);
});
