// ECS Exec executor figures on the loopback simulator: session set-up time, command end → result
// latency, output throughput and peak memory. Run: npx tsx bench/ecs-exec.ts
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsExecutor } from '../src/adapters/aws/ecs-executor.js';
import { systemClock } from '../src/ports/clock.js';
import type { ShellStep } from '../src/runbook/model.js';
import { startAgentServer } from '../test/support/ecs-simulator/agent-server.js';
import { startEcsApi } from '../test/support/ecs-simulator/ecs-api.js';

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/bench';
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/bench/00000000000000000000000000000001';

function shell(run: string): ShellStep {
  return { kind: 'shell', name: 'bench', index: 0, timeoutSeconds: 600, continueOnError: false, run };
}

async function main(): Promise<void> {
  const agent = await startAgentServer();
  const api = await startEcsApi({
    agent,
    tasks: [{ taskArn: TASK, clusterArn: CLUSTER, lastStatus: 'RUNNING', enableExecuteCommand: true, containers: [{ name: 'app', runtimeId: 'r-1', agentStatus: 'RUNNING' }] }],
  });
  const ecs = new ECSClient({ region: 'eu-west-1', endpoint: api.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const executor = new EcsExecutor({ kind: 'ecs', name: 'bench', cluster: 'bench' }, { ecs, clock: systemClock });
  await executor.prepare(new AbortController().signal);

  // Set-up: ExecuteCommand + socket + handshake + trivial command, minus nothing (the whole round trip).
  const setups: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    await executor.runStep(shell('exit 0'), { runId: 'b', signal: new AbortController().signal, onOutput: async () => undefined });
    setups.push(performance.now() - start);
  }
  // Command end → result: the command prints a timestamp as its last act; measure until runStep returns.
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    let last = '';
    await executor.runStep(shell('date +%s%N'), {
      runId: 'b',
      signal: new AbortController().signal,
      onOutput: async (_s, c) => void (last += Buffer.from(c).toString()),
    });
    latencies.push(Date.now() - Number(BigInt(last.trim()) / 1_000_000n));
  }
  // Throughput: 50 MB through pty, data channel, acks and the awaited output listener.
  const bytesWanted = 50 * 1048576;
  let received = 0;
  const start = performance.now();
  const result = await executor.runStep(shell(`head -c ${bytesWanted} /dev/zero | tr '\\0' 'x'`), {
    runId: 'b',
    signal: new AbortController().signal,
    onOutput: async (_s, c) => void (received += c.length),
  });
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(`session set-up + trivial step: median ${median(setups).toFixed(1)} ms (min ${Math.min(...setups).toFixed(1)}, max ${Math.max(...setups).toFixed(1)}, n=10)`);
  console.log(`command end → result: median ${median(latencies)} ms (n=5)`);
  console.log(`throughput: ${(received / 1048576).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(received / 1048576 / seconds).toFixed(1)} MB/s (exit ${result.exitCode})`);
  console.log(`peak RSS: ${(peakRss / 1048576).toFixed(0)} MB (client, simulator and ECS stand-in in one process)`);
  console.log(`ECS API calls: ${api.calls.length}`);
  await api.close();
  await agent.close();
}

await main();
