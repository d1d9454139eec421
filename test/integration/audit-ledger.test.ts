// The CloudWatch run ledger against moto with the real SDK: how each kind of earlier attempt reads (cheaply:
// first and last event unless more is needed), pagination, fail-closed errors, and the atomic claim of the run
// slot under concurrency and take-over.
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { createCloudWatchLedger } from '../../src/adapters/aws/cloudwatch-ledger.js';
import { sha256Hex } from '../../src/audit/events.js';
import { CLAIM_STALE_MS } from '../../src/audit/ledger-state.js';
import { claimStreamName, ledgerStreamPrefix } from '../../src/audit/stream-name.js';
import type { RunIdentity } from '../../src/ports/audit.js';
import { driveRun, identity, instantClock, logsClient } from '../support/audit-fixtures.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const GROUP = '/opsgate/ledger';
const started = { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' };
const ok = { status: 'succeeded' as const, exitCode: 0, message: 'ok' };
let moto: MotoServer;
let proxy: FaultProxy;
let digestN = 0;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  await logsClient(moto.endpoint).send(new CreateLogGroupCommand({ logGroupName: GROUP }));
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

/** An identity of its own (a new digest), so tests never see each other's attempts. */
const fresh = (runId = 'attempt-1'): RunIdentity => ({ ...identity(runId), runbookDigest: `sha256:${sha256Hex(`digest ${++digestN} ${Math.random()}`)}` });
const sink = (endpoint = moto.endpoint) => createCloudWatchAuditLog({ client: logsClient(endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
const ledgerAt = (endpoint = moto.endpoint, clock = instantClock()) => createCloudWatchLedger({ client: logsClient(endpoint), logGroup: GROUP, region: 'us-east-1', clock });
const lookup = (id: RunIdentity, endpoint?: string) => ledgerAt(endpoint).lookup(id);

async function rawStream(name: string, messages: string[]): Promise<void> {
  const client = logsClient(moto.endpoint);
  await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: name }));
  if (messages.length) await client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: name, logEvents: messages.map((message) => ({ timestamp: Date.now(), message })) }));
}

describe('CloudWatch ledger: how an attempt reads', () => {
  it('never-ran, then interrupted at the step in flight (step.started flushed, as the orchestrator does before the step), with links', async () => {
    const id = fresh();
    expect(await lookup(id)).toEqual({ state: 'never-ran' });
    const log = sink();
    await log.runStarted(id, started);
    await log.stepStarted({ index: 0, name: 'migrate', kind: 'sql', command: 'select 1' });
    await log.flush();
    const entry = await lookup(id);
    expect(entry).toMatchObject({ state: 'interrupted', runId: 'attempt-1', stepsStarted: 1, stepInFlight: { index: 0, name: 'migrate' } });
    expect(entry.location?.consoleUrl).toContain('logsV2:log-groups/log-group/$252Fopsgate$252Fledger/log-events/opsgate$252F');
  });

  it('a completed run keeps outcome and reason code, read from two small calls whatever the output size', async () => {
    const id = fresh();
    await driveRun(sink(), id, [[Buffer.alloc(3_000_000, 0x61)], [Buffer.from('ok\n')]]);
    const before = proxy.calls('GetLogEvents');
    expect(await lookup(id, proxy.endpoint)).toMatchObject({ state: 'completed', runId: 'attempt-1', outcome: 'succeeded', reasonCode: 'ok', stepsStarted: 2 });
    expect(proxy.calls('GetLogEvents') - before).toBe(2); // first event and last event; 3 MB of output never read
  });

  it('a cancelled run is interrupted, naming the step it stopped', async () => {
    const id = fresh();
    const log = sink();
    await log.runStarted(id, started);
    await log.stepStarted({ index: 0, name: 'backfill', kind: 'sql', command: 'update …' });
    await log.stepFinished({ index: 0, name: 'backfill', result: { status: 'cancelled', exitCode: null, message: 'stopped' }, durationMs: 1 });
    await log.runFinished({ outcome: 'refuse', reasonCode: 'cancelled', message: 'cancelled during step 1' });
    await log.flush();
    expect(await lookup(id)).toMatchObject({ state: 'interrupted', reasonCode: 'cancelled', stepInFlight: { index: 0, name: 'backfill' } });
  });

  it('ran nothing: a stream without run.started, or a run that ended before step 1, never blocks a retry', async () => {
    const empty = fresh();
    await rawStream(`${ledgerStreamPrefix(empty)}denied-1`, []);
    expect(await lookup(empty)).toMatchObject({ state: 'never-ran' });
    const id = fresh();
    const log = sink();
    await log.runStarted(id, started);
    await log.runFinished({ outcome: 'error', reasonCode: 'executor-unavailable', message: 'no instance matched' });
    await log.flush();
    expect(await lookup(id)).toMatchObject({ state: 'never-ran', runId: 'attempt-1', stepsStarted: 0, reasonCode: 'executor-unavailable' });
  });

  it('ignores a stream under the prefix whose run.started names another identity; explains one that is not JSON', async () => {
    const id = fresh();
    const prefix = ledgerStreamPrefix(id);
    const other = createCloudWatchAuditLog({ client: logsClient(moto.endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock(), streamName: `${prefix}forged/1` });
    await driveRun(other, { ...id, runbookDigest: `${id.runbookDigest.slice(0, -1)}${id.runbookDigest.endsWith('0') ? '1' : '0'}` }, [[]]);
    expect(await lookup(id)).toEqual({ state: 'never-ran' });
    await rawStream(`${prefix}garbage/2`, ['hello, not an event']);
    await expect(lookup(id)).rejects.toThrow(/Cannot read the run ledger in CloudWatch Logs \/opsgate\/ledger.*garbage\/2 of log group \/opsgate\/ledger is not an opsgate audit event/s);
  });

  it('reads every page of DescribeLogStreams', async () => {
    const id = fresh();
    const prefix = ledgerStreamPrefix(id);
    for (let i = 0; i < 55; i += 1) await rawStream(`${prefix}a-filler/${i}`, []); // moto pages by 50; these sort first
    await driveRun(sink(), { ...id, runId: 'zz-last' }, [[Buffer.from('x')]]);
    expect(await lookup(id)).toMatchObject({ state: 'completed', runId: 'zz-last' });
  }, 60_000);

  it('fails closed, naming the permissions, when the group cannot be read', async () => {
    await expect(createCloudWatchLedger({ client: logsClient(moto.endpoint), logGroup: '/missing', region: 'us-east-1', maxAttempts: 1 }).lookup({ repository: 'a/b', pullRequest: 1, runbookPath: 'runbooks/x.yml', runbookDigest: 'x' })).rejects.toThrow(
      /Cannot read the run ledger in CloudWatch Logs \/missing.*ResourceNotFoundException.*logs:DescribeLogStreams and logs:GetLogEvents/s,
    );
  });
});

describe('CloudWatch ledger: claiming the run slot', () => {
  it('gives it to exactly one of several concurrent attempts', async () => {
    const id = fresh();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => ledgerAt().claim({ ...id, runId: `r${i}` })));
    const winners = results.flatMap((r, i) => (r.claimed ? [`r${i}`] : []));
    expect(winners).toHaveLength(1);
    for (const lost of results.filter((r) => !r.claimed)) expect(lost).toMatchObject({ claimed: false, byRunId: winners[0], message: expect.stringMatching(/claim#1/) });
  }, 60_000);

  it('gives it to only one of two jobs of the same workflow run (same run id), however they race', async () => {
    const id = { ...fresh('5555-1'), job: 'deploy' };
    const results = await Promise.all([ledgerAt().claim(id), ledgerAt().claim({ ...id, job: 'deploy-copy' })]);
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect(results.find((r) => !r.claimed)).toMatchObject({ byRunId: '5555-1', message: expect.stringMatching(/held by run 5555-1, job deploy/) });
    expect(await ledgerAt().claim(id)).toMatchObject({ claimed: false }); // a third claimant with that run id, too
  }, 60_000);

  it('keeps two identical runbooks at different paths apart: each has its own slot and its own attempts', async () => {
    const a = { ...fresh('7777-1'), runbookPath: 'runbooks/a.yml' };
    const b = { ...a, runbookPath: 'runbooks/b.yml' };
    expect(await ledgerAt().claim(a)).toEqual({ claimed: true });
    await driveRun(sink(), a, [[Buffer.from('a\n')]]);
    expect(await lookup(a)).toMatchObject({ state: 'completed' });
    expect(await lookup(b)).toMatchObject({ state: 'never-ran' });
    expect(await ledgerAt().claim(b)).toEqual({ claimed: true });
  }, 60_000);

  it('is taken over from a holder whose transcript shows it ran nothing, not from one that ran a step', async () => {
    const id = fresh('a');
    expect(await ledgerAt().claim(id)).toEqual({ claimed: true });
    const nothing = sink();
    await nothing.runStarted(id, started);
    await nothing.runFinished({ outcome: 'error', reasonCode: 'executor-unavailable', message: 'x' });
    await nothing.flush();
    expect(await ledgerAt().claim({ ...id, runId: 'b' })).toEqual({ claimed: true });
    const ran = sink();
    await ran.runStarted({ ...id, runId: 'b' }, started);
    await ran.stepStarted({ index: 0, name: 'one', kind: 'shell', command: 'true' });
    await ran.stepFinished({ index: 0, name: 'one', result: ok, durationMs: 1 });
    await ran.flush();
    expect(await ledgerAt().claim({ ...id, runId: 'c' })).toMatchObject({ claimed: false, byRunId: 'b', message: expect.stringMatching(/started steps and has not finished/) });
  }, 60_000);

  it('a claim without its record (the claimant died in between) blocks until it is stale', async () => {
    const id = fresh();
    await rawStream(claimStreamName(ledgerStreamPrefix(id), 1), []);
    expect(await ledgerAt().claim(id)).toMatchObject({ claimed: false, message: expect.stringMatching(/has not recorded its run id.*may be about to run/) });
    expect(await ledgerAt(moto.endpoint, instantClock(CLAIM_STALE_MS + 60_000)).claim(id)).toEqual({ claimed: true });
  }, 60_000);

  it('fails closed when the claim stream cannot be written', async () => {
    proxy.inject('CreateLogStream', ['access-denied', 'access-denied', 'access-denied', 'access-denied']);
    await expect(ledgerAt(proxy.endpoint).claim(fresh())).rejects.toThrow(/Cannot claim the run slot in CloudWatch Logs \/opsgate\/ledger.*AccessDeniedException.*logs:CreateLogStream/s);
  });
});
