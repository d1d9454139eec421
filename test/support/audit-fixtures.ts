// Shared helpers for the audit tests: a clock that never waits, an SDK client for an endpoint, and a run driver.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { AuditLog, RunIdentity } from '../../src/ports/audit.js';
import type { Clock } from '../../src/ports/clock.js';

export const instantClock = (): Clock & { sleeps: number[] } => {
  const sleeps: number[] = [];
  return { now: () => new Date(), sleep: async (ms: number) => void sleeps.push(ms), sleeps };
};

export function logsClient(endpoint: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ region: 'us-east-1', endpoint, maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

export const identity = (runId = `run-${Math.random().toString(36).slice(2)}`): RunIdentity => ({
  repository: 'acme/ops',
  pullRequest: 42,
  runbookPath: 'runbooks/fix orders é.yaml',
  runbookDigest: 'sha256:' + 'ab'.repeat(32),
  runId,
});

/** Drives one run with the given outputs per step, in the orchestrator's call order. */
export async function driveRun(log: AuditLog, id: RunIdentity, steps: Uint8Array[][]): Promise<void> {
  await log.runStarted(id, { approvers: [{ login: 'alice' }], target: { name: 'db', description: 'orders db', members: [] }, title: 'Fix orders' });
  for (const [index, chunks] of steps.entries()) {
    await log.stepStarted({ index, name: `step ${index}`, kind: 'shell', command: 'echo hi' });
    for (const chunk of chunks) await log.stepOutput(index, index % 2 ? 'stderr' : 'stdout', chunk);
    await log.stepFinished({ index, name: `step ${index}`, result: { status: 'succeeded', exitCode: 0, message: 'exited with code 0' }, durationMs: 5 });
  }
  await log.runFinished({ outcome: 'succeeded', reasonCode: 'ok', message: 'all steps succeeded' });
}
