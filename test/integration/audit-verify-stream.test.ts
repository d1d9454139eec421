// `opsgate audit verify --log-group G --stream S` against moto streams that were tampered with.
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import { auditCommand } from '../../src/cli/audit.js';
import { sha256Hex } from '../../src/audit/events.js';
import { driveRun, identity, instantClock, logsClient } from '../support/audit-fixtures.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const GROUP = '/opsgate/verify';
let moto: MotoServer;
let original: string[];
let head: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: moto.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  const client = logsClient(moto.endpoint);
  await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
  await driveRun(log, identity(), [[Buffer.from('alpha\n'), Buffer.from('beta\n')], [Buffer.from('gamma\n')]]);
  original = [];
  for await (const m of readStreamMessages(client, GROUP, log.streamName!)) original.push(m);
  head = `${log.location.chainHead!.seq}:${log.location.chainHead!.sha256}`;
}, 60_000);
afterAll(async () => {
  process.env = savedEnv;
  await moto?.stop();
});

async function verifyStream(messages: string[], ...extra: string[]): Promise<{ code: number; out: string }> {
  const stream = `tampered/${Math.random().toString(36).slice(2)}`;
  const client = logsClient(moto.endpoint);
  await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream }));
  const now = Date.now();
  await client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, logEvents: messages.map((message) => ({ timestamp: now, message })) }));
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    return { code: await auditCommand(['verify', '--log-group', GROUP, '--stream', stream, '--region', 'us-east-1', ...extra]), out };
  } finally {
    spy.mockRestore();
  }
}

describe('opsgate audit verify on a CloudWatch stream', () => {
  it('passes the untouched stream', async () => {
    expect(await verifyStream(original)).toMatchObject({ code: 0 });
  });

  it('detects a deleted event', async () => {
    const result = await verifyStream([...original.slice(0, 3), ...original.slice(4)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/missing before seq 4: seq 3 deleted/);
  });

  it('detects a reordered event', async () => {
    const result = await verifyStream([...original.slice(0, 2), original[3]!, original[2]!, ...original.slice(4)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/seq 2 \(step.output\) appears after seq 3/);
  });

  it('detects an edited event', async () => {
    const edited = [...original];
    edited[1] = original[1]!.replace('echo hi', 'echo ho');
    const result = await verifyStream(edited);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/hash chain broken: seq 1 was edited/);
  });

  it('passes against the chain head the sink published, and reports a retried batch as duplicates', async () => {
    expect(await verifyStream(original, '--expect-head', head)).toMatchObject({ code: 0, out: expect.stringMatching(/published head check out/) });
    const retried = await verifyStream([...original.slice(0, 4), ...original.slice(2, 4), ...original.slice(4)], '--expect-head', head);
    expect(retried).toMatchObject({ code: 0, out: expect.stringMatching(/2 duplicate\(s\) left by retried uploads/) });
  });

  it('with the head: detects an edited last event, a deleted tail, and events added after the end', async () => {
    const edited = [...original];
    edited[edited.length - 1] = original.at(-1)!.replace('all steps succeeded', 'all steps succeeded.');
    expect((await verifyStream(edited)).code).toBe(0); // the chain alone cannot see an edit of the last event
    expect((await verifyStream(edited, '--expect-head', head)).out).toMatch(/the event at seq \d+ does not match the published head/);
    expect((await verifyStream(original.slice(0, -1), '--expect-head', head)).out).toMatch(/before the published head .* \(tail deleted\)/);
    const [seq] = head.split(':');
    const earlierHead = `${Number(seq) - 1}:${sha256Hex(original.at(-2)!)}`;
    expect((await verifyStream(original, '--expect-head', earlierHead)).out).toMatch(/1 event\(s\) follow the published head/);
  });

  it('with the head: still detects deleted, reordered and edited middle events', async () => {
    expect((await verifyStream([...original.slice(0, 3), ...original.slice(4)], '--expect-head', head)).out).toMatch(/seq 3 deleted/);
    expect((await verifyStream([...original.slice(0, 2), original[3]!, original[2]!, ...original.slice(4)], '--expect-head', head)).out).toMatch(/appears after seq 3/);
    const edited = [...original];
    edited[1] = original[1]!.replace('echo hi', 'echo ho');
    expect((await verifyStream(edited, '--expect-head', head)).out).toMatch(/hash chain broken: seq 1 was edited/);
  });
});
