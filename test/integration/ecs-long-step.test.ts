// A real 3-minute step whose connection is cut three times: each cut ends the session (its pty dies) but not
// the detached step; the executor attaches again from the last byte received. Runs for real, so it lives in its
// own file (vitest runs files in parallel) with its own timeout.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOnExecutor, shellStep, startSimulator } from '../support/ecs-simulator/harness.js';

describe('ECS Exec long step', () => {
  it('3 minutes, connection cut three times: output complete and in order, the step ran once', async () => {
    const sim = await startSimulator();
    const counter = join(mkdtempSync(join(tmpdir(), 'opsgate-ecs-long-')), 'count');
    const cuts = [40_000, 90_000, 140_000].map((ms) => setTimeout(() => sim.agent.cutAll(), ms));
    try {
      const run = await runOnExecutor(sim.executor(), shellStep(`echo ran >> ${counter}; for i in $(seq 1 360); do echo "tick $i ✓"; sleep 0.5; done; echo done >&2`, { timeoutSeconds: 600 }));
      expect(run.result).toEqual({ status: 'succeeded', exitCode: 0, message: 'exited with code 0' });
      expect(run.stdout.toString('utf8')).toBe(Array.from({ length: 360 }, (_, i) => `tick ${i + 1} ✓\n`).join(''));
      expect(run.stderr.toString()).toBe('done\n');
      expect(sim.agent.stats.cuts).toBe(3);
      expect(sim.api.calls.filter((c) => c.operation === 'ExecuteCommand')).toHaveLength(4);
      expect(readFileSync(counter, 'utf8')).toBe('ran\n');
    } finally {
      cuts.forEach(clearTimeout);
      await sim.close();
    }
  }, 300_000);
});
