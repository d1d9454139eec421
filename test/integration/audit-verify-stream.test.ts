// `opsgate audit verify --log-group G --stream S` against moto streams that were tampered with.
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import { auditCommand } from '../../src/cli/audit.js';
import { driveRun, identity, instantClock, logsClient } from '../support/audit-fixtures.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const GROUP = '/opsgate/verify';
let moto: MotoServer;
let original: string[];
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
}, 60_000);
afterAll(async () => {
  process.env = savedEnv;
  await moto?.stop();
});

async function verifyStream(messages: string[]): Promise<{ code: number; out: string }> {
  const stream = `tampered/${Math.random().toString(36).slice(2)}`;
  const client = logsClient(moto.endpoint);
  await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream }));
  const now = Date.now();
  await client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, logEvents: messages.map((message) => ({ timestamp: now, message })) }));
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    return { code: await auditCommand(['verify', '--log-group', GROUP, '--stream', stream, '--region', 'us-east-1']), out };
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
});
