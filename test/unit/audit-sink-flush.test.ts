// The CloudWatch sink leaves the durability points to its caller (the AuditLog port's rule): its writes buffer,
// flush() pushes them, and run.started is the one write stored before it returns. A narrow unit test over a
// recording client; the real PutLogEvents round trips are in test/integration/audit-cloudwatch.test.ts.
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { createCloudWatchAuditLog } from '../../src/adapters/aws/cloudwatch-audit-log.js';
import { identity, instantClock } from '../support/audit-fixtures.js';

function recordingClient(): { client: CloudWatchLogsClient; puts: string[][] } {
  const puts: string[][] = [];
  const send = async (command: { constructor: { name: string }; input: { logEvents?: { message: string }[] } }) => {
    if (command.constructor.name === 'PutLogEventsCommand') puts.push(command.input.logEvents!.map((e) => (JSON.parse(e.message) as { type: string }).type));
    return {};
  };
  return { client: { send } as unknown as CloudWatchLogsClient, puts };
}

describe('CloudWatch audit sink: who flushes', () => {
  it('stores run.started at once, then pushes nothing until the caller flushes', async () => {
    const { client, puts } = recordingClient();
    const log = createCloudWatchAuditLog({ client, logGroup: '/opsgate/audit', region: 'us-east-1', clock: instantClock(), flushIntervalMs: 1e9 });
    await log.runStarted(identity('1-1'), { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' });
    expect(puts).toEqual([['run.started']]);
    await log.targetResolved({ description: 'this machine', members: ['localhost'] });
    await log.stepStarted({ index: 0, name: 'one', kind: 'shell', command: 'true' });
    await log.stepFinished({ index: 0, name: 'one', result: { status: 'succeeded', exitCode: 0, message: 'ok' }, durationMs: 1 });
    await log.runFinished({ outcome: 'proceed', reasonCode: 'ok', message: 'done' });
    expect(puts).toHaveLength(1); // one flush per durability point, all of them the orchestrator's
    await log.flush();
    expect(puts).toEqual([['run.started'], ['target.resolved', 'step.started', 'step.finished', 'run.finished']]);
  });
});
