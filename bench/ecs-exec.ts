// ECS Exec executor figures on the loopback simulator: session set-up time, command end → result time, output
// throughput and the client's peak memory. The simulator runs in a child process, so the memory figures are the
// client's alone. Prints figures only. Run: npx tsx bench/ecs-exec.ts
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsExecutor } from '../src/adapters/aws/ecs/ecs-executor.js';
import { systemClock } from '../src/ports/clock.js';
import type { OutputListener } from '../src/ports/executor.js';
import type { ShellStep } from '../src/runbook/model.js';
import { CREDENTIALS, TARGET } from '../test/support/ecs-simulator/harness.js';

const shell = (run: string): ShellStep => ({ kind: 'shell', name: 'bench', index: 0, timeoutSeconds: 900, continueOnError: false, run });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function startSimulatorProcess(): Promise<{ endpoint: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/ecs-simulator/standalone.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, stop: () => child.stdin!.end() };
}

async function main(): Promise<void> {
  const sim = await startSimulatorProcess();
  const ecs = new ECSClient({ region: 'eu-west-1', endpoint: sim.endpoint, credentials: CREDENTIALS });
  const executor = new EcsExecutor(TARGET, { ecs, clock: systemClock, region: 'eu-west-1' });
  await executor.prepare(new AbortController().signal);
  const run = (script: string, onOutput: OutputListener = async () => undefined) =>
    executor.runStep(shell(script), { runId: `bench-${process.pid}`, signal: new AbortController().signal, onOutput });

  // Set-up: from runStep to the step's first output byte (ExecuteCommand, socket, the agent's 1 s pty delay).
  const setups: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    let first = 0;
    await run('echo x', async () => void (first ||= performance.now()));
    setups.push(first - start);
  }
  // Command end → result: the command prints its end time as its last act (after the agent's 1 s pty delay, so
  // the figure is the runner's polling, the exit record and the session's end, not the delay).
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    let text = '';
    await run('sleep 1.5; date +%s%N', async (_s, c) => void (text += Buffer.from(c).toString()));
    latencies.push(Date.now() - Number(BigInt(text.trim()) / 1_000_000n));
  }
  // Throughput and memory: 50 MB through the runner files, the pty, the data channel and the awaited listener.
  const bytesWanted = 50 * 1048576;
  let received = 0;
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 20);
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const result = await run(`head -c ${bytesWanted} /dev/zero | tr '\\0' 'x'`, async (_s, c) => void (received += c.length));
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  await executor.dispose();
  sim.stop();
  console.log(`session set-up (runStep → first output byte, 1 s agent pty delay included): median ${median(setups).toFixed(0)} ms (min ${Math.min(...setups).toFixed(0)}, max ${Math.max(...setups).toFixed(0)}, n=5)`);
  console.log(`command end → result: median ${median(latencies)} ms (min ${Math.min(...latencies)}, max ${Math.max(...latencies)}, n=5)`);
  console.log(`throughput: ${(received / 1048576).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(received / 1048576 / seconds).toFixed(2)} MB/s (exit ${result.exitCode})`);
  console.log(`client peak RSS ${(peakRss / 1048576).toFixed(0)} MB (${((peakRss - rssBefore) / 1048576).toFixed(0)} MB above the start of the transfer), peak heap ${(peakHeap / 1048576).toFixed(0)} MB; simulator in a child process`);
}

await main();
