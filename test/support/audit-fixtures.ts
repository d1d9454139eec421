// Shared helpers for the audit tests: a clock that never waits, an SDK client for an endpoint, and a run driver.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import type { AuditLog, RunIdentity } from '../../src/ports/audit.js';
import type { Clock } from '../../src/ports/clock.js';

/** Real time (optionally shifted, like a runner whose clock is off) whose sleeps return at once and are recorded. */
export const instantClock = (offsetMs = 0): Clock & { sleeps: number[] } => {
  const sleeps: number[] = [];
  return { now: () => new Date(Date.now() + offsetMs), sleep: async (ms: number) => void sleeps.push(ms), sleeps };
};

/** A clock whose sleeps return at once but move its time forward, so retry budgets run out as they would. */
export const steppingClock = (): Clock & { sleeps: number[] } => {
  const sleeps: number[] = [];
  let slept = 0;
  return { now: () => new Date(Date.now() + slept), sleep: async (ms: number) => void (sleeps.push(ms), (slept += ms)), sleeps };
};

/** Every message of a stream, oldest first. */
export async function readBack(client: CloudWatchLogsClient, group: string, stream: string): Promise<string[]> {
  const messages: string[] = [];
  for await (const m of readStreamMessages(client, group, stream)) messages.push(m);
  return messages;
}

/** Polls until `check` passes (for things that happen on a timer); never asserts how long it took. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

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

/**
 * Drives one run with the given outputs per step, in the orchestrator's call order, flushing at its durability
 * points (the AuditLog port leaves them to the caller): after step.started, step.finished and run.finished.
 */
export async function driveRun(log: AuditLog, id: RunIdentity, steps: Uint8Array[][]): Promise<void> {
  await log.runStarted(id, { approvers: [{ login: 'alice' }], target: { name: 'db', description: 'orders db', members: [] }, title: 'Fix orders' });
  for (const [index, chunks] of steps.entries()) {
    await log.stepStarted({ index, name: `step ${index}`, kind: 'shell', command: 'echo hi' });
    await log.flush();
    for (const chunk of chunks) await log.stepOutput(index, index % 2 ? 'stderr' : 'stdout', chunk);
    await log.stepFinished({ index, name: `step ${index}`, result: { status: 'succeeded', exitCode: 0, message: 'exited with code 0' }, durationMs: 5 });
    await log.flush();
  }
  await log.runFinished({ outcome: 'succeeded', reasonCode: 'ok', message: 'all steps succeeded' });
  await log.flush();
}
