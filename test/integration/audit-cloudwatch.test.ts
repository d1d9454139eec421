// The CloudWatch audit sink against a real moto_server: a 50 MB transcript with 2 MB lines and invalid UTF-8
// is read back with GetLogEvents; the decoded bytes, byte counts and hash chain match exactly, in about as few
// PutLogEvents calls as the limits allow. Also: flushing before a step runs and while it is silent, events
// CloudWatch keeps out (runner clock skew), and the links and chain head the sink publishes.
// moto does not enforce CloudWatch's limits: startMoto() puts a limits proxy in front of it, and the batch
// assertions here use that proxy's own measurements and the documented numbers written out (1,048,576 bytes
// counting UTF-8 + 26 per event, 10,000 events, 24 h), never opsgate's constants or the sink's own counts.
// The hash chain is checked twice: by src's TranscriptVerifier and by test/support/independent-chain.ts.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { pendingTargetPath } from '../../src/adapters/aws/cloudwatch-pending.js';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import { decodeOutputBytes, sha256Hex } from '../../src/audit/events.js';
import { TranscriptVerifier, verifyMessages } from '../../src/audit/verify.js';
import { AuditUnavailableError } from '../../src/ports/audit.js';
import { driveRun, eventually, identity, instantClock, logsClient, readBack } from '../support/audit-fixtures.js';
import { describeViolations, type PutLogEventsMeasurement } from '../support/cloudwatch-limits-proxy.js';
import { checkChainIndependently, IndependentChainCheck } from '../support/independent-chain.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const GROUP = '/opsgate/audit test';
const started = { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' };
let moto: MotoServer;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'opsgate-audit-cw-'));
  await logsClient(moto.endpoint).send(new CreateLogGroupCommand({ logGroupName: GROUP }));
}, 60_000);
afterEach(() => {
  expect(moto.limits!.violations, describeViolations(moto.limits!.violations)).toEqual([]);
});
afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every call to the stream, as the proxy saw it; each within the documented limits. */
function putsWithinLimits(stream: string): PutLogEventsMeasurement[] {
  const puts = moto.limits!.putsTo(stream, GROUP);
  expect(puts.length).toBeGreaterThan(0); // the sink's calls really went through the proxy
  for (const put of puts) {
    expect(put).toMatchObject({ forwarded: true, chronological: true });
    expect(put.batchBytes).toBeLessThanOrEqual(1_048_576);
    expect(put.events).toBeGreaterThanOrEqual(1);
    expect(put.events).toBeLessThanOrEqual(10_000);
    expect(put.largestEventBytes).toBeLessThanOrEqual(1_048_576);
    expect(put.spanMs).toBeLessThanOrEqual(24 * 3600 * 1000);
  }
  return puts;
}

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
  it('keeps a 50 MB transcript byte for byte, the chain verifies, and batches are as full as the limits allow', async () => {
    const client = logsClient(moto.endpoint);
    const batches: { events: number; bytes: number }[] = [];
    // No timer flushes here: only the six flushes the run itself asks for (start, 2 × step start/end, finish).
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock(), flushIntervalMs: 1e9, onPut: (events, bytes) => void batches.push({ events, bytes }) });
    const expected = [createHash('sha256'), createHash('sha256')];
    const sizes = [0, 0];
    const steps = [[...output(30_000_000, 7)], [...output(20_000_000, 11)]];
    steps.forEach((chunks, i) => chunks.forEach((c) => (expected[i]!.update(c), (sizes[i]! += c.byteLength))));
    await driveRun(log, identity(), steps);

    const verifier = new TranscriptVerifier(log.location.chainHead);
    const independent = new IndependentChainCheck();
    const actual = [createHash('sha256'), createHash('sha256')];
    const actualSizes = [0, 0];
    let n = 0;
    let storedBytes = 0;
    for await (const message of readStreamMessages(client, GROUP, log.streamName!)) {
      verifier.addMessage(message, `event ${++n}`);
      independent.add(message, `event ${n}`);
      storedBytes += Buffer.byteLength(message, 'utf8');
      const event = JSON.parse(message) as Record<string, unknown>;
      if (event.type === 'step.output') {
        const bytes = decodeOutputBytes(event);
        actual[event.index as number]!.update(bytes);
        actualSizes[event.index as number]! += bytes.byteLength;
      }
    }
    const report = verifier.finish();
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, duplicatesIgnored: 0, head: log.location.chainHead });
    const chain = independent.finish();
    expect(chain.problems).toEqual([]);
    expect(chain).toMatchObject({ ok: true, duplicates: 0, events: report.events, head: log.location.chainHead });
    expect(actualSizes).toEqual(sizes);
    expect(actual.map((h) => h.digest('hex'))).toEqual(expected.map((h) => h.digest('hex')));

    // Every call within the limits, as the proxy measured the requests; they carried exactly what was read back.
    const puts = putsWithinLimits(log.streamName!);
    expect(puts.reduce((sum, p) => sum + p.events, 0)).toBe(n);
    expect(puts.reduce((sum, p) => sum + p.messageBytes, 0)).toBe(storedBytes);
    // As few calls as the limits allow: at least ⌈total / 1,048,576⌉ (and ⌈events / 10,000⌉), and every call but
    // the six the run flushes (start, 2 × step start and end, finish) was cut only because the next event did not fit.
    const cost = puts.reduce((sum, p) => sum + p.batchBytes, 0);
    expect(cost).toBe(storedBytes + 26 * n);
    expect(puts.length).toBeGreaterThanOrEqual(Math.max(Math.ceil(cost / 1_048_576), Math.ceil(n / 10_000)));
    const cutEarly = puts.slice(0, -1).filter((p, i) => p.events < 10_000 && p.batchBytes + puts[i + 1]!.firstEventBytes <= 1_048_576);
    expect(cutEarly.length).toBeLessThanOrEqual(5);
    // The sink's own report of each call (onPut, which the bench prints) matches what went over the wire.
    expect(batches).toEqual(puts.map((p) => ({ events: p.events, bytes: p.messageBytes })));
  }, 180_000);

  it('fills batches by UTF-8 bytes, not UTF-16 units: multi-byte and escape-heavy output stays within 1,048,576 bytes per call', async () => {
    const client = logsClient(moto.endpoint);
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock(), flushIntervalMs: 1e9 });
    // 9 UTF-8 bytes in 4 UTF-16 units per repeat; control bytes that JSON escapes sixfold (\u0001).
    const steps = [[Buffer.from('€😀é'.repeat(300_000))], [Buffer.alloc(2_000_000, 0x01)]];
    await driveRun(log, identity(), steps);
    const stored = await readBack(client, GROUP, log.streamName!);
    expect(checkChainIndependently(stored)).toMatchObject({ ok: true, duplicates: 0, head: log.location.chainHead });
    expect(verifyMessages(stored, 'event', log.location.chainHead)).toMatchObject({ ok: true });
    const outputs = [0, 1].map((i) => Buffer.concat(stored.map((m) => JSON.parse(m) as Record<string, unknown>).filter((e) => e.type === 'step.output' && e.index === i).map((e) => decodeOutputBytes(e))));
    expect(outputs.map((o, i) => o.equals(steps[i]![0]!))).toEqual([true, true]);
    const puts = putsWithinLimits(log.streamName!);
    const storedBytes = stored.reduce((sum, m) => sum + Buffer.byteLength(m, 'utf8'), 0);
    expect(puts.reduce((sum, p) => sum + p.messageBytes, 0)).toBe(storedBytes);
    expect(puts.reduce((sum, p) => sum + p.batchBytes, 0)).toBe(storedBytes + 26 * stored.length);
    const cutEarly = puts.slice(0, -1).filter((p, i) => p.events < 10_000 && p.batchBytes + puts[i + 1]!.firstEventBytes <= 1_048_576);
    expect(cutEarly.length).toBeLessThanOrEqual(5);
  }, 120_000);

  it('splits an event bigger than 1 MB into marked parts and reassembles it', async () => {
    const client = logsClient(moto.endpoint);
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock() });
    await log.runStarted(identity(), started);
    const command = 'SELECT 1; -- ' + 'ü"\\'.repeat(600_000); // ~2.4 MB of JSON-escaped, multi-byte text
    await log.stepStarted({ index: 0, name: 'huge', kind: 'sql', command });
    await log.stepFinished({ index: 0, name: 'huge', result: { status: 'succeeded', exitCode: 0, message: 'ok' }, durationMs: 1 });
    await log.runFinished({ outcome: 'succeeded', reasonCode: 'ok', message: 'done' });
    await log.flush();
    const messages = await readBack(client, GROUP, log.streamName!);
    expect(messages.filter((m) => m.includes('"type":"part"')).length).toBeGreaterThan(1);
    expect(messages.every((m) => Buffer.byteLength(m, 'utf8') <= 1_048_550)).toBe(true);
    expect(Math.max(...putsWithinLimits(log.streamName!).map((p) => p.largestEventBytes))).toBeGreaterThan(500_000); // the parts are large, and fit
    expect(verifyMessages(messages)).toMatchObject({ ok: true, events: 4 });
    expect(checkChainIndependently(messages)).toMatchObject({ ok: true, events: 4, duplicates: 0, parts: messages.length - 3 });
  }, 60_000);

  it('has step.started in CloudWatch before the step runs, and pushes output of a silent step on a timer', async () => {
    const client = logsClient(moto.endpoint);
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'us-east-1', clock: instantClock(), flushIntervalMs: 50 });
    await log.runStarted(identity(), started);
    await log.stepStarted({ index: 0, name: 'long', kind: 'shell', command: 'sleep 3600' });
    await log.flush(); // the orchestrator's durability point before the step runs: a job killed now still shows it
    expect((await readBack(client, GROUP, log.streamName!)).map((m) => JSON.parse(m).type)).toEqual(['run.started', 'step.started']);
    await log.stepOutput(0, 'stdout', Buffer.from('one line, then silence\n'));
    const types = await eventually(async () => {
      const stored = (await readBack(client, GROUP, log.streamName!)).map((m) => JSON.parse(m).type as string);
      return stored.includes('step.output') ? stored : undefined;
    }, 'the idle flush');
    expect(types).toEqual(['run.started', 'step.started', 'step.output']);
    await log.stepFinished({ index: 0, name: 'long', result: { status: 'succeeded', exitCode: 0, message: 'ok' }, durationMs: 1 });
    await log.runFinished({ outcome: 'proceed', reasonCode: 'ok', message: 'done' });
    await log.flush();
    const stored = await readBack(client, GROUP, log.streamName!);
    expect(verifyMessages(stored, 'event', log.location.chainHead)).toMatchObject({ ok: true });
    expect(checkChainIndependently(stored)).toMatchObject({ ok: true, events: 5, head: log.location.chainHead });
    putsWithinLimits(log.streamName!);
  }, 60_000);

  it('publishes links with an absolute range from the start to the end, and the chain head of the stored stream', async () => {
    const client = logsClient(moto.endpoint);
    const log = createCloudWatchAuditLog({ client, logGroup: GROUP, region: 'eu-west-1', clock: instantClock() });
    const id = identity();
    await log.runStarted(id, started);
    expect(log.location.insightsUrl).toContain("timeType~'ABSOLUTE");
    expect(log.location.chainHead).toBeUndefined();
    const open = log.location.insightsUrl;
    await log.runFinished({ outcome: 'proceed', reasonCode: 'ok', message: 'done' });
    await log.flush();
    expect(log.location.insightsUrl).not.toBe(open); // the end is now the real one
    expect(log.location.insightsUrl).not.toContain('RELATIVE');
    expect(log.location.consoleUrl).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#logsV2:log-groups\/log-group\/\$252Fopsgate\$252Faudit\$2520test\/log-events\/opsgate\$252F/);
    const stored = await readBack(client, GROUP, log.streamName!);
    expect(log.location.chainHead).toEqual({ seq: 1, sha256: sha256Hex(stored.at(-1)!) });
    expect(checkChainIndependently(stored)).toMatchObject({ ok: true, events: 2, head: log.location.chainHead });
  }, 60_000);
});

describe('events CloudWatch keeps out (runner clock skew)', () => {
  for (const [label, offset, kind] of [
    ['3 h ahead', 3 * 3600_000, 'too new'],
    ['15 days behind', -15 * 24 * 3600_000, 'too old'],
  ] as const) {
    it(`with the runner clock ${label}: AuditUnavailableError, nothing runs, and the local copy is kept`, async () => {
      const fallbackPath = join(dir, `skew-${offset}.jsonl`);
      const log = createCloudWatchAuditLog({ client: logsClient(moto.endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock(offset), fallbackPath });
      const start = log.runStarted(identity(), started);
      await expect(start).rejects.toBeInstanceOf(AuditUnavailableError);
      await expect(start).rejects.toThrow(new RegExp(`log group /opsgate/audit test, stream opsgate/.*runner clock skew: \\d+ events rejected as ${kind}`, 's'));
      expect(log.location.localCopy).toBe(fallbackPath);
      expect(log.fallbackFile).toBe(fallbackPath);
      expect((await readFile(fallbackPath, 'utf8')).split('\n')[0]).toContain('"type":"run.started"');
      expect(existsSync(pendingTargetPath(fallbackPath))).toBe(false); // the run never started: nothing for the post step
      await expect(log.runFinished({ outcome: 'error', reasonCode: 'audit-unavailable', message: 'x' })).rejects.toBeInstanceOf(AuditUnavailableError);
      expect(existsSync(fallbackPath)).toBe(true); // never deleted after a failure
      expect(await readBack(logsClient(moto.endpoint), GROUP, log.streamName!)).toEqual([]);
    }, 60_000);
  }

  it('removes the local copy after a clean run', async () => {
    const fallbackPath = join(dir, 'clean.jsonl');
    const log = createCloudWatchAuditLog({ client: logsClient(moto.endpoint), logGroup: GROUP, region: 'us-east-1', clock: instantClock(), fallbackPath });
    await driveRun(log, identity(), [[Buffer.from('x\n')]]);
    expect(existsSync(fallbackPath)).toBe(false);
    expect(existsSync(pendingTargetPath(fallbackPath))).toBe(false);
    expect(log.location.localCopy).toBeUndefined();
  }, 60_000);
});
