// Time from command end to result, and API calls: opsgate's SSM executor vs the SDK waiter waitUntilCommandExecuted,
// both against the loopback SSM simulator. Run: npx tsx bench/ssm-executor.ts [--quick]
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient, waitUntilCommandExecuted } from '@aws-sdk/client-ssm';
import { createSsmExecutor } from '../src/adapters/aws/ssm-executor.js';
import type { ShellStep } from '../src/runbook/model.js';
import { startSsmSimulator } from '../test/support/ssm-simulator/server.js';

const instance = 'i-0bench00000000001';
const quick = process.argv.includes('--quick');
const durations = quick ? [0.3, 3] : [0.3, 30];

const sim = await startSsmSimulator({ instances: [{ id: instance }], invocationDoesNotExistPolls: 1 });
const ssm = new SSMClient({
  region: 'us-east-1', endpoint: sim.endpoint,
  credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'secret' },
});
const totalCalls = (): number => [...sim.calls.values()].reduce((a, b) => a + b, 0);
const lastEnd = (): number => Math.max(...sim.endedAt.values());

async function runOpsgate(seconds: number): Promise<{ lagMs: number; calls: number }> {
  const step: ShellStep = { kind: 'shell', name: 'bench', index: 0, timeoutSeconds: 120, continueOnError: false, run: `sleep ${seconds}` };
  const executor = createSsmExecutor({
    ssm, renderScript: () => step.run,
    target: { kind: 'ssm', name: 'bench', instanceIds: [instance], maxConcurrency: '1', maxErrors: '0' },
  });
  const before = totalCalls();
  const result = await executor.runStep(step, { runId: 'b', signal: new AbortController().signal, onOutput: async () => {} });
  const done = performance.now();
  if (result.status !== 'succeeded') throw new Error(result.message);
  return { lagMs: done - lastEnd(), calls: totalCalls() - before };
}

async function runWaiter(seconds: number): Promise<{ lagMs: number; calls: number }> {
  const before = totalCalls();
  const sent = await ssm.send(new SendCommandCommand({
    DocumentName: 'AWS-RunShellScript', InstanceIds: [instance],
    Parameters: { commands: [`sleep ${seconds}`], executionTimeout: ['120'] },
  }));
  const CommandId = sent.Command!.CommandId!;
  await waitUntilCommandExecuted({ client: ssm, maxWaitTime: 300 }, { CommandId, InstanceId: instance });
  // The waiter returns no output or exit code: one more call for them, as opsgate does.
  await ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId: instance }));
  const done = performance.now();
  return { lagMs: done - lastEnd(), calls: totalCalls() - before };
}

console.log('command  | opsgate: end→result, API calls | SDK waiter: end→result, API calls');
for (const seconds of durations) {
  const ours = await runOpsgate(seconds);
  const theirs = await runWaiter(seconds);
  console.log(
    `${String(seconds).padEnd(5)} s  | ${ours.lagMs.toFixed(0).padStart(6)} ms, ${String(ours.calls).padStart(3)} calls        | ` +
      `${theirs.lagMs.toFixed(0).padStart(6)} ms, ${String(theirs.calls).padStart(3)} calls`,
  );
}
console.log(`peak RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB; validation violations: ${sim.violations.length}`);
ssm.destroy();
await sim.close();
