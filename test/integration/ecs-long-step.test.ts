// A real 3-minute step whose connection is cut three times: each cut ends the session (its pty dies) but not
// the detached step; the executor attaches again from the last byte received. Runs for real, so it lives in its
// own file (vitest runs files in parallel) with its own timeout. The cuts follow the step's progress (ticks 80,
// 180 and 280 arriving), not the clock, so each one lands on a live session whatever the machine's load.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOnExecutor, shellStep, startSimulator } from '../support/ecs-simulator/harness.js';

const TICKS = 360;
const CUT_AT_TICKS = [80, 180, 280];

describe('ECS Exec long step', () => {
  it('3 minutes, connection cut three times: output complete and in order, the step ran once', async () => {
    const sim = await startSimulator();
    const counter = join(mkdtempSync(join(tmpdir(), 'opsgate-ecs-long-')), 'count');
    const pending = [...CUT_AT_TICKS];
    const cut: number[] = [];
    let lines = 0;
    try {
      const run = await runOnExecutor(sim.executor(), shellStep(`echo ran >> ${counter}; for i in $(seq 1 ${TICKS}); do echo "tick $i ✓"; sleep 0.5; done; echo done >&2`, { timeoutSeconds: 600 }), {
        onOutput: async (stream, chunk) => {
          if (stream === 'stdout') lines += Buffer.from(chunk).toString('latin1').split('\n').length - 1;
          // The tick just arrived through the live session: cutting now drops exactly that one connection.
          if (pending.length && lines >= pending[0]!) {
            pending.shift();
            cut.push(sim.agent.cutAll());
          }
        },
      });
      expect(run.result).toEqual({ status: 'succeeded', exitCode: 0, message: 'exited with code 0' });
      expect(run.stdout.toString('utf8')).toBe(Array.from({ length: TICKS }, (_, i) => `tick ${i + 1} ✓\n`).join(''));
      expect(run.stderr.toString()).toBe('done\n');
      expect(cut).toEqual([1, 1, 1]);
      expect(sim.agent.stats.cuts).toBe(3);
      expect(sim.api.calls.filter((c) => c.operation === 'ExecuteCommand')).toHaveLength(1 + CUT_AT_TICKS.length);
      expect(readFileSync(counter, 'utf8')).toBe('ran\n');
      expect(sim.api.violations).toEqual([]);
      expect(sim.agent.violations).toEqual([]);
    } finally {
      await sim.close();
    }
  }, 300_000);
});
