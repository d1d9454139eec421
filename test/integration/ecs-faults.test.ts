// Fault tests for the ECS Exec executor: a lossy data channel in both directions (bad digests are corrupted
// payloads under the intact digest, so only a client that checks digests gets exact output), and a silent step
// longer than the 20-minute idle timeout (on the simulator's sped-up clock). In every case the output is complete and
// in order, and the step ran exactly once: it appends to a counter file, which must hold one line.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOnExecutor, shellStep, startSimulator, type Simulator } from '../support/ecs-simulator/harness.js';
import { scaledClock } from '../support/ecs-simulator/sim-clock.js';

const scratch = mkdtempSync(join(tmpdir(), 'opsgate-ecs-faults-'));
const lines = (from: number, to: number, prefix = '') => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}\n`).join('');
const execCalls = (api: { calls: Array<{ operation: string }> }) => api.calls.filter((c) => c.operation === 'ExecuteCommand').length;
const expectNoViolations = (sim: Simulator) => {
  expect(sim.api.violations).toEqual([]);
  expect(sim.agent.violations).toEqual([]);
};

describe('ECS Exec executor under faults', () => {
  it('1% of frames dropped, duplicated and reordered both ways (plus bad digests and pauses): exact output, once', async () => {
    const sim = await startSimulator({
      faults: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.01, badDigestRate: 0.01, seed: 11 },
      inboundFaults: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.01, seed: 12 },
      pause: { everyMs: 900, forMs: 150 },
    });
    try {
      const counter = join(scratch, 'lossy.count');
      const run = await runOnExecutor(sim.executor(), shellStep(`echo ran >> ${counter}; seq 1 100000; seq 1 20000 | sed 's/^/err /' >&2; exit 3`));
      expect(run.result).toEqual({ status: 'failed', exitCode: 3, message: 'exited with code 3' });
      expect(run.stdout.toString() === lines(1, 100000)).toBe(true);
      expect(run.stderr.toString() === lines(1, 20000, 'err ')).toBe(true);
      expect(readFileSync(counter, 'utf8')).toBe('ran\n');
      for (const counts of [sim.agent.faultCounts, sim.agent.inboundFaultCounts]) expect(counts.dropped * counts.duplicated * counts.reordered).toBeGreaterThan(0);
      expect(sim.agent.faultCounts.badDigest * sim.agent.stats.pauses).toBeGreaterThan(0);
      expect(sim.agent.rejectedFrames).toEqual([]);
      expectNoViolations(sim);
    } finally {
      await sim.close();
    }
  }, 120_000);

  // 60x: the 20-minute idle timeout is 20 s of real time and the 25-minute silent step 25 s. A keep-alive every
  // second (1 simulated minute) leaves 19 s of margin: only a stall that long on a loaded machine fires the
  // timeout, while without keep-alives the step's silence would be 5 simulated minutes past it.
  it('a silent step of 25 simulated minutes: keep-alives stop the idle timeout from firing', async () => {
    const scale = 60;
    const silentSeconds = (25 * 60) / scale;
    const sim = await startSimulator({ clock: scaledClock(scale) });
    try {
      const counter = join(scratch, 'silent.count');
      const run = await runOnExecutor(sim.executor(undefined, { tuning: { keepAliveMs: 1000 } }), shellStep(`echo ran >> ${counter}; echo before; sleep ${silentSeconds}; echo after`));
      expect(run.result).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect(run.stdout.toString()).toBe('before\nafter\n');
      expect(sim.agent.stats.idleTimeouts).toBe(0);
      expect(sim.agent.stats.inputs.filter((l) => l === 'k').length).toBeGreaterThanOrEqual(3);
      expect(execCalls(sim.api)).toBe(1);
      expect(readFileSync(counter, 'utf8')).toBe('ran\n');
      expectNoViolations(sim);
    } finally {
      await sim.close();
    }
  }, 90_000);

  it('without keep-alives the idle timeout does fire, and the step survives it by attaching again', async () => {
    const sim = await startSimulator({ clock: scaledClock(300) });
    try {
      const counter = join(scratch, 'idle.count');
      const run = await runOnExecutor(sim.executor(undefined, { tuning: { keepAliveMs: 3_600_000 } }), shellStep(`echo ran >> ${counter}; echo before; sleep 6; echo after`));
      expect(run.result).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect(run.stdout.toString()).toBe('before\nafter\n');
      expect(sim.agent.stats.idleTimeouts).toBeGreaterThanOrEqual(1);
      expect(execCalls(sim.api)).toBe(1 + sim.agent.stats.idleTimeouts);
      expect(readFileSync(counter, 'utf8')).toBe('ran\n');
      expectNoViolations(sim);
    } finally {
      await sim.close();
    }
  }, 60_000);
});
