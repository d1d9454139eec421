// The PutLogEvents limits proxy (test/support/cloudwatch-limits-proxy.ts) that stands in front of moto: each
// kind of over-limit batch gets CloudWatch's 400 InvalidParameterException through the real SDK client and is
// not forwarded; a batch exactly at a limit passes. The numbers are the documented ones, written out here
// (aws-facts.md section 3): 1,048,576 bytes per call counting UTF-8 message bytes + 26 per event, 10,000
// events, 1,048,576 bytes per event including its 26, chronological order, 24 hours.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, PutLogEventsCommand, type InputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCloudWatchLimitsProxy, type CloudWatchLimitsProxy } from '../support/cloudwatch-limits-proxy.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const HOUR = 3600_000;
let upstream: Server;
const forwarded: { target: string; body: string }[] = [];
let proxy: CloudWatchLimitsProxy;
let client: CloudWatchLogsClient;

beforeAll(async () => {
  // Stands in for moto: accepts everything, and records what reached it.
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      forwarded.push({ target: String(req.headers['x-amz-target']), body });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(String(req.headers['x-amz-target']).endsWith('DescribeLogGroups') ? '{"logGroups":[{"logGroupName":"/upstream"}]}' : '{}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startCloudWatchLimitsProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, { now: () => NOW });
  client = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: proxy.endpoint, maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  client?.destroy();
  await proxy?.stop();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});
beforeEach(() => {
  forwarded.length = 0;
  proxy.takeViolations();
});

const put = (logEvents: InputLogEvent[]) => client.send(new PutLogEventsCommand({ logGroupName: '/g', logStreamName: 's', logEvents }));
const at = (message: string, timestamp = NOW): InputLogEvent => ({ timestamp, message });
/** `bytes` UTF-8 bytes of text made of 3-byte characters (a third as many UTF-16 units), topped up with ASCII. */
const euros = (bytes: number): string => '€'.repeat(Math.floor(bytes / 3)) + 'x'.repeat(bytes % 3);

/** Sends the batch and expects CloudWatch's refusal for `rule`, with nothing forwarded. */
async function expectRefused(logEvents: InputLogEvent[], rule: string, message: RegExp): Promise<void> {
  forwarded.length = 0;
  await expect(put(logEvents)).rejects.toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 }, message: expect.stringMatching(message) });
  expect(forwarded).toEqual([]);
  expect(proxy.takeViolations().map((v) => v.rule)).toContain(rule);
  expect(proxy.puts.at(-1)!.forwarded).toBe(false);
}

async function expectAccepted(logEvents: InputLogEvent[]): Promise<void> {
  forwarded.length = 0;
  await put(logEvents);
  expect(proxy.takeViolations()).toEqual([]);
  expect(forwarded.map((f) => f.target)).toEqual(['Logs_20140328.PutLogEvents']);
  expect(proxy.puts.at(-1)!.forwarded).toBe(true);
}

describe('batch size: Σ UTF-8 message bytes + 26 per event ≤ 1,048,576', () => {
  it('passes a batch of exactly 1,048,576 bytes of multi-byte text, and refuses one byte more', async () => {
    // 4 events × (262,118 + 26) = 1,048,576; in UTF-16 units the same text is only about 350,000.
    await expectAccepted([at(euros(262_118)), at(euros(262_118)), at(euros(262_118)), at(euros(262_118))]);
    expect(proxy.puts.at(-1)).toMatchObject({ events: 4, messageBytes: 1_048_472, batchBytes: 1_048_576, largestEventBytes: 262_144 });
    await expectRefused([at(euros(262_118)), at(euros(262_118)), at(euros(262_118)), at(euros(262_119))], 'batch-bytes', /^Upload too large: 1048577 bytes exceeds limit of 1048576/);
  });

  it('counts UTF-8 bytes, not UTF-16 units: 600,000 characters of "é" are 1,200,000 bytes', async () => {
    await expectRefused([at('é'.repeat(300_000)), at('é'.repeat(300_000))], 'batch-bytes', /Upload too large: 1200052 bytes/);
  });

  it('counts 26 bytes per event: 9,000 events of 100 bytes are 1,134,000 bytes, 9,000 of 90 bytes fit', async () => {
    await expectRefused(Array.from({ length: 9_000 }, () => at('a'.repeat(100))), 'batch-bytes', /Upload too large: 1134000 bytes/);
    await expectAccepted(Array.from({ length: 9_000 }, () => at('a'.repeat(90))));
    expect(proxy.puts.at(-1)).toMatchObject({ events: 9_000, batchBytes: 9_000 * 90 + 9_000 * 26 });
  });
});

describe('event count: 1 to 10,000 per call', () => {
  it('passes 10,000 events and refuses 10,001', async () => {
    await expectAccepted(Array.from({ length: 10_000 }, () => at('x')));
    await expectRefused(Array.from({ length: 10_001 }, () => at('x')), 'event-count', /less than or equal to 10000/);
  });

  it('refuses an empty batch', async () => {
    await expectRefused([], 'event-count', /greater than or equal to 1/);
  });

  it('refuses an empty message', async () => {
    await expectRefused([at('ok'), at('')], 'empty-message', /logEvents\.2\.member\.message/);
  });
});

describe('event size: 1,048,576 bytes including the 26', () => {
  it('passes a single event of 1,048,550 UTF-8 bytes and refuses 1,048,551', async () => {
    await expectAccepted([at(euros(1_048_550))]);
    expect(proxy.puts.at(-1)).toMatchObject({ largestEventBytes: 1_048_576, batchBytes: 1_048_576 });
    await expectRefused([at(euros(1_048_551))], 'event-size', /Log event too large: 1048577 bytes exceeds limit of 1048576/);
  });
});

describe('order and span', () => {
  it('passes equal timestamps and refuses a batch that goes back in time', async () => {
    await expectAccepted([at('a', NOW), at('b', NOW), at('c', NOW + 1)]);
    await expectRefused([at('a', NOW), at('b', NOW - 1)], 'chronological', /must be in chronological order/);
  });

  it('passes a span of exactly 24 hours and refuses one millisecond more', async () => {
    await expectAccepted([at('a', NOW - 24 * HOUR), at('b', NOW)]);
    expect(proxy.puts.at(-1)!.spanMs).toBe(86_400_000);
    await expectRefused([at('a', NOW - 24 * HOUR - 1), at('b', NOW)], 'span', /cannot span more than 24 hours/);
  });

  it('leaves events CloudWatch keeps out (older than 14 days, over 2 hours ahead) out of the span, as CloudWatch does', async () => {
    await expectAccepted([at('old', NOW - 15 * 24 * HOUR), at('now', NOW), at('ahead', NOW + 3 * HOUR)]);
    expect(proxy.puts.at(-1)!.spanMs).toBe(0);
  });
});

it('forwards every other call untouched, and reports violations with the stream they happened on', async () => {
  const groups = await client.send(new DescribeLogGroupsCommand({}));
  expect(groups.logGroups).toEqual([{ logGroupName: '/upstream' }]);
  expect(forwarded.map((f) => f.target)).toEqual(['Logs_20140328.DescribeLogGroups']);
  await put([at('a', NOW), at('b', NOW - 5)]).catch(() => undefined);
  expect(proxy.violations).toEqual([expect.objectContaining({ rule: 'chronological', logGroupName: '/g', logStreamName: 's' })]);
  expect(proxy.putsTo('s', '/g').length).toBeGreaterThan(0);
  expect(proxy.putsTo('other')).toEqual([]);
});
