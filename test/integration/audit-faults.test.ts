// Fault injection between the sink and moto: transient errors are retried without duplicates, a lost response
// after acceptance yields exact duplicates that verify tolerates, and a permanent AccessDenied stops the run
// with AuditUnavailableError while the fallback file keeps the transcript so far.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import { verifyMessages } from '../../src/audit/verify.js';
import { AuditUnavailableError } from '../../src/ports/audit.js';
import { driveRun, identity, instantClock, logsClient } from '../support/audit-fixtures.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const GROUP = '/opsgate/faults';
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

async function readBack(stream: string): Promise<string[]> {
  const messages: string[] = [];
  for await (const m of readStreamMessages(logsClient(moto.endpoint), GROUP, stream)) messages.push(m);
  return messages;
}

describe('audit sink under faults', () => {
  it('retries throttling, 500s and dropped connections; the read-back has no duplicates', async () => {
    const clock = instantClock();
    proxy.inject('CreateLogStream', ['throttle']);
    proxy.inject('PutLogEvents', ['throttle', 'server-error', 'drop', 'throttle']);
    const before = proxy.injected();
    const log = createCloudWatchAuditLog({ client: logsClient(proxy.endpoint), logGroup: GROUP, region: 'us-east-1', clock });
    await driveRun(log, identity(), [output(8), output(3)]);
    expect(proxy.injected() - before).toBe(5);
    expect(clock.sleeps.length).toBe(5); // one backoff per injected fault
    const messages = await readBack(log.streamName!);
    const seqs = messages.map((m) => (JSON.parse(m) as { seq: number }).seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(verifyMessages(messages)).toMatchObject({ ok: true, duplicatesIgnored: 0 });
  }, 60_000);

  it('a response lost after acceptance duplicates one batch exactly; verify detects and tolerates it', async () => {
    proxy.inject('PutLogEvents', ['drop-after-accept']);
    const log = createCloudWatchAuditLog({ client: logsClient(proxy.endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
    await driveRun(log, identity(), [output(2)]);
    const report = verifyMessages(await readBack(log.streamName!));
    expect(report.ok).toBe(true);
    expect(report.duplicatesIgnored).toBeGreaterThan(0);
  }, 60_000);

  it('permanent AccessDenied mid-step: AuditUnavailableError, and the fallback file holds the transcript so far', async () => {
    const fallbackPath = join(dir, 'fallback.jsonl');
    const log = createCloudWatchAuditLog({ client: logsClient(proxy.endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock(), fallbackPath });
    const id = identity();
    await log.runStarted(id, { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' });
    await log.stepStarted({ index: 0, name: 'long step', kind: 'shell', command: 'tail -f' });
    await log.stepOutput(0, 'stdout', Buffer.from('before the outage\n'));
    proxy.denyAlways('PutLogEvents');
    let error: unknown;
    try {
      for (const chunk of output(10)) await log.stepOutput(0, 'stdout', chunk);
      await log.flush();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuditUnavailableError);
    expect((error as Error).message).toMatch(/\/opsgate\/faults.*us-east-1.*logs:PutLogEvents/s);
    expect((error as Error).message).toContain(fallbackPath);
    expect(log.fallbackFile).toBe(fallbackPath);
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
    const started = missing.runStarted(identity(), { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' });
    await expect(started).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(started).rejects.toThrow(/\/no\/such\/group.*us-east-1.*create-log-group/s);
    proxy.denyAlways('CreateLogStream');
    const denied = createCloudWatchAuditLog({ client: logsClient(proxy.endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
    await expect(denied.runStarted(identity(), { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' })).rejects.toThrow(
      /AccessDeniedException.*logs:CreateLogStream/s,
    );
  }, 60_000);
});
