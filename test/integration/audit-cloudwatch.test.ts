// The CloudWatch audit sink against a real moto_server: a 50 MB transcript with 2 MB lines and invalid UTF-8
// is read back with GetLogEvents; the decoded bytes, byte counts and hash chain match exactly.
import { createHash } from 'node:crypto';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { createCloudWatchLedger } from '../../src/adapters/aws/cloudwatch-ledger.js';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import { decodeOutputBytes } from '../../src/audit/events.js';
import { TranscriptVerifier } from '../../src/audit/verify.js';
import { driveRun, identity, instantClock, logsClient } from '../support/audit-fixtures.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const GROUP = '/opsgate/audit test';
let moto: MotoServer;

beforeAll(async () => {
  moto = await startMoto();
  await logsClient(moto.endpoint).send(new CreateLogGroupCommand({ logGroupName: GROUP }));
}, 60_000);
afterAll(async () => moto?.stop());

/** ~`total` bytes of output arriving in uneven chunks: 2 MB lines, and invalid UTF-8 bytes now and then. */
function* output(total: number, seed: number): Generator<Uint8Array> {
  let produced = 0;
  let n = seed;
  while (produced < total) {
    n = (n * 1103515245 + 12345) % 2 ** 31;
    const size = Math.min(total - produced, 200_000 + (n % 900_000));
    const chunk = Buffer.alloc(size, 0x61 + (n % 26));
    chunk[n % size] = 0xff; // never valid in UTF-8
    if (n % 3 === 0) chunk.write('é€😀', Math.max(0, size - 12)); // multi-byte characters, sometimes cut at the boundary
    if (produced % 2_097_152 < size) chunk[size - 1] = 0x0a; // a newline roughly every 2 MB: 2 MB lines
    produced += size;
    yield chunk;
  }
}

describe('CloudWatch audit sink over moto', () => {
  it('keeps a 50 MB transcript byte for byte and the chain verifies', async () => {
    const client = logsClient(moto.endpoint);
    let puts = 0;
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock(), onPut: () => void (puts += 1) });
    const expected = [createHash('sha256'), createHash('sha256')];
    const sizes = [0, 0];
    const steps = [[...output(30_000_000, 7)], [...output(20_000_000, 11)]];
    steps.forEach((chunks, i) => chunks.forEach((c) => (expected[i]!.update(c), (sizes[i]! += c.byteLength))));
    await driveRun(log, identity(), steps);
    expect(puts).toBeGreaterThanOrEqual(50); // ≥ 50 MB cannot fit in fewer 1 MB calls

    const verifier = new TranscriptVerifier();
    const actual = [createHash('sha256'), createHash('sha256')];
    const actualSizes = [0, 0];
    let n = 0;
    for await (const message of readStreamMessages(client, GROUP, log.streamName!)) {
      verifier.addMessage(message, `event ${++n}`);
      const event = JSON.parse(message) as Record<string, unknown>;
      if (event.type === 'step.output') {
        const bytes = decodeOutputBytes(event);
        actual[event.index as number]!.update(bytes);
        actualSizes[event.index as number]! += bytes.byteLength;
      }
    }
    const report = verifier.finish();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.duplicatesIgnored).toBe(0);
    expect(actualSizes).toEqual(sizes);
    expect(actual.map((h) => h.digest('hex'))).toEqual(expected.map((h) => h.digest('hex')));
  }, 120_000);

  it('splits an event bigger than 1 MB into marked parts and reassembles it', async () => {
    const client = logsClient(moto.endpoint);
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
    const id = identity();
    await log.runStarted(id, { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 'big SQL' });
    const command = 'SELECT 1; -- ' + 'ü"\\'.repeat(600_000); // ~2.4 MB of JSON-escaped, multi-byte text
    await log.stepStarted({ index: 0, name: 'huge', kind: 'sql', command });
    await log.stepFinished({ index: 0, name: 'huge', result: { status: 'succeeded', exitCode: 0, message: 'ok' }, durationMs: 1 });
    await log.runFinished({ outcome: 'succeeded', reasonCode: 'ok', message: 'done' });
    const messages: string[] = [];
    for await (const m of readStreamMessages(client, GROUP, log.streamName!)) messages.push(m);
    expect(messages.filter((m) => m.includes('"type":"part"')).length).toBeGreaterThan(1);
    expect(messages.every((m) => Buffer.byteLength(m) <= 1_048_550)).toBe(true);
    const verifier = new TranscriptVerifier();
    messages.forEach((m, i) => verifier.addMessage(m, `event ${i + 1}`));
    expect(verifier.finish()).toMatchObject({ ok: true, events: 4 });
  }, 60_000);

  it('the ledger finds completed and interrupted runs by prefix, and never-ran otherwise', async () => {
    const client = logsClient(moto.endpoint);
    const ledger = createCloudWatchLedger({ client, logGroup: GROUP, region: 'us-east-1' });
    const id = { ...identity('attempt-1'), runbookDigest: 'sha256:' + 'cd'.repeat(32) };
    expect(await ledger.lookup(id.repository, id.pullRequest, id.runbookDigest)).toEqual({ state: 'never-ran' });
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
    await log.runStarted(id, { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' });
    await log.stepStarted({ index: 0, name: 'migrate', kind: 'sql', command: 'select 1' });
    await log.flush();
    expect(await ledger.lookup(id.repository, id.pullRequest, id.runbookDigest)).toMatchObject({
      state: 'interrupted',
      runId: 'attempt-1',
      stepInFlight: { index: 0, name: 'migrate' },
    });
    await driveRun(createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock() }), { ...id, runId: 'attempt-2' }, [[]]);
    expect(await ledger.lookup(id.repository, id.pullRequest, id.runbookDigest)).toMatchObject({ state: 'completed', runId: 'attempt-2', outcome: 'succeeded' });
    await expect(createCloudWatchLedger({ client, logGroup: '/missing', region: 'us-east-1' }).lookup('a/b', 1, 'x')).rejects.toThrow(/Cannot read the run ledger/);
  }, 60_000);
});
