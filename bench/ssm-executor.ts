// Time from a command's end to the caller having its result, and SSM API calls per command: opsgate's SSM
// executor vs the SDK's waitUntilCommandExecuted (+ one GetCommandInvocation for the exit code and output,
// which the waiter does not return), on the same loopback simulator. The waiter has jitter, so each tool runs
// several times in parallel (one simulated instance each) and the medians are compared.
// Run: npx tsx bench/ssm-executor.ts [--quick]
import { randomUUID } from 'node:crypto';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient, waitUntilCommandExecuted } from '@aws-sdk/client-ssm';
import { createSsmExecutor } from '../src/adapters/aws/ssm-executor.js';
import { wrapScriptForSsm } from '../src/adapters/aws/ssm-wrapper.js';
import { renderStepScript } from '../src/run/step-script.js';
import type { ShellStep } from '../src/runbook/model.js';
import { startSsmSimulator } from '../test/support/ssm-simulator/server.js';
import { instanceIds } from '../test/support/ssm-simulator/test-kit.js';

const quick = process.argv.includes('--quick');
const durations = quick ? [0.3, 3] : [0.3, 30];
const OPSGATE_RUNS = 3;
const WAITER_RUNS = 15;

const instances = instanceIds((OPSGATE_RUNS + WAITER_RUNS) * durations.length, 'b');
// The first poll after SendCommand answers InvocationDoesNotExist, as the real service often does.
const sim = await startSsmSimulator({ instances: instances.map((id) => ({ id })), invocationDoesNotExistPolls: 1 });
const ssm = new SSMClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'secret' } });

interface Sample {
  lagMs: number;
  calls: number;
}

/** Calls about this command, its SendCommand included; lag from the end of its process to `doneAt`. */
function sampleFor(commandId: string, instanceId: string, doneAt: number): Sample {
  const ended = sim.endedAt.get(`${commandId}/${instanceId}`);
  if (ended === undefined) throw new Error(`command ${commandId} never ended on ${instanceId}`);
  return { lagMs: doneAt - ended, calls: sim.requests.filter((r) => r.commandId === commandId).length };
}

const step = (seconds: number): ShellStep => ({ kind: 'shell', name: 'bench', index: 0, timeoutSeconds: 120, continueOnError: false, run: `sleep ${seconds}` });

async function runOpsgate(seconds: number, instanceId: string): Promise<Sample> {
  const executor = createSsmExecutor({ ssm, target: { kind: 'ssm', name: 'bench', instanceIds: [instanceId], maxConcurrency: '1', maxErrors: '0' } });
  const result = await executor.runStep(step(seconds), { runId: 'bench', signal: new AbortController().signal, onOutput: async () => {} });
  const doneAt = performance.now();
  if (result.status !== 'succeeded') throw new Error(result.message);
  const send = sim.requests.find((r) => r.operation === 'SendCommand' && (r.body.InstanceIds as string[])[0] === instanceId)!;
  return sampleFor(send.commandId!, instanceId, doneAt);
}

async function runWaiter(seconds: number, instanceId: string): Promise<Sample> {
  const sent = await ssm.send(new SendCommandCommand({
    DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId],
    Parameters: { commands: wrapScriptForSsm(renderStepScript(step(seconds)), randomUUID()), executionTimeout: ['120'] },
  }));
  const CommandId = sent.Command!.CommandId!;
  await waitUntilCommandExecuted({ client: ssm, maxWaitTime: 300 }, { CommandId, InstanceId: instanceId });
  // The waiter returns neither output nor exit code: one more call for them, as opsgate needs them.
  await ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId: instanceId }));
  return sampleFor(CommandId, instanceId, performance.now());
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const rows: string[] = [];
let criterionMet = true;
let next = 0;
for (const seconds of durations) {
  const ours = Array.from({ length: OPSGATE_RUNS }, () => runOpsgate(seconds, instances[next++]!));
  const theirs = Array.from({ length: WAITER_RUNS }, () => runWaiter(seconds, instances[next++]!));
  const [o, w] = await Promise.all([Promise.all(ours), Promise.all(theirs)]);
  const [oLag, oCalls, wLag, wCalls] = [median(o.map((s) => s.lagMs)), median(o.map((s) => s.calls)), median(w.map((s) => s.lagMs)), median(w.map((s) => s.calls))];
  const met = oLag < wLag && oCalls <= wCalls;
  criterionMet &&= met;
  const range = (s: Sample[]) => `${Math.min(...s.map((x) => x.lagMs)).toFixed(0)}–${Math.max(...s.map((x) => x.lagMs)).toFixed(0)}`;
  rows.push(
    `| ${seconds} s | ${oLag.toFixed(0)} ms (${range(o)}) | ${oCalls} | ${wLag.toFixed(0)} ms (${range(w)}) | ${wCalls} | ${met ? 'yes' : 'NO'} |`,
  );
}

console.log(`median of ${OPSGATE_RUNS} opsgate runs and ${WAITER_RUNS} waiter runs per command; calls include SendCommand`);
console.log('| command | opsgate end→result (min–max) | opsgate calls | SDK waiter end→result (min–max) | waiter calls | opsgate faster, no more calls |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log(`validation violations: ${sim.violations.length}; peak RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
if (!criterionMet) process.exitCode = 1;
ssm.destroy();
await sim.close();
