import { describe, expect, it } from 'vitest';
import { runSteps, type ProgressEvent, type RunStepsInput } from '../../src/run/orchestrator.js';
import { createRedactor } from '../../src/run/redaction.js';
import type { CheckedRunbook } from '../../src/runbook/check.js';
import type { Step } from '../../src/runbook/model.js';
import { MAX_TIMER_MS, systemClock } from '../../src/ports/clock.js';
import { ManualClock, MemoryAudit, ok, print, ScriptedExecutor, waitForAbort, type StepScript } from '../support/run-fakes.js';
import { testRepoConfig } from '../support/repo-config.js';

function shell(index: number, name: string, run: string, extra: Partial<Step> = {}): Step {
  return { kind: 'shell', index, name, run, timeoutSeconds: 600, continueOnError: false, ...extra } as Step;
}

const config = testRepoConfig({ targets: { local: { kind: 'local', name: 'local' } }, databases: { billing: { name: 'billing', engine: 'postgres', target: 'local', urlEnv: 'BILLING_DATABASE_URL' } } });

function setup(steps: Step[], scripts: Record<string, StepScript>, extra: Partial<RunStepsInput> = {}) {
  const checked: CheckedRunbook = {
    runbook: { path: 'runbooks/r.yml', version: 1, title: 'Refund fix', target: 'local', steps },
    text: 'x',
    digest: `sha256:${'0'.repeat(64)}`,
    sqlStatements: new Map(),
  };
  const audit = new MemoryAudit();
  const executor = new ScriptedExecutor(scripts);
  const clock = new ManualClock();
  const progress: ProgressEvent[] = [];
  const input: RunStepsInput = {
    checked,
    config,
    executor,
    audit,
    clock,
    identity: { repository: 'acme/ops', pullRequest: 7, runbookPath: 'runbooks/r.yml', runbookDigest: checked.digest, runId: 'run-1' },
    startedInfo: { approvers: [], target: { name: 'local', description: 'this machine', members: ['localhost'] }, title: 'Refund fix' },
    onProgress: (e) => progress.push(e),
    ...extra,
  };
  return { input, audit, executor, clock, progress };
}

describe('runSteps', () => {
  it('runs steps in order, streams redacted output to the audit log and keeps a bounded tail', async () => {
    const redactor = createRedactor({ secrets: ['hunter2-pw'] });
    const { input, audit, executor } = setup([shell(0, 'One', 'echo hunter2-pw'), shell(1, 'Two', 'seq 100')], {
      One: async (_s, c) => (await print(c, 'pass: hunt', 'er2-pw ok\n'), ok),
      Two: async (_s, c) => {
        for (let i = 1; i <= 100; i++) await print(c, `line ${i}\n`);
        return ok;
      },
    }, { redactor, tailLines: 5 });
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(executor.ran).toEqual(['One', 'Two']);
    expect(audit.types().filter((t) => t !== 'step.output')).toEqual([
      'run.started', 'target.resolved', 'flush', 'step.started', 'flush', 'step.finished', 'flush', 'step.started', 'flush', 'step.finished', 'flush', 'run.finished', 'flush',
    ]);
    const started = audit.events.find((e) => e.type === 'step.started');
    expect(started?.type === 'step.started' && started.info.command).toBe('echo ***');
    expect(audit.output(0)).toBe('pass: *** ok\n');
    expect(result.steps[0]).toMatchObject({ status: 'succeeded', exitCode: 0, outputBytes: 20, tail: ['pass: *** ok'] });
    expect(result.steps[1]).toMatchObject({ tail: ['line 96', 'line 97', 'line 98', 'line 99', 'line 100'], tailTruncated: true });
    expect(executor.disposed).toBe(1);
  });

  it('stops at the first failure; later steps are skipped unless continue-on-error', async () => {
    const failed = { status: 'failed' as const, exitCode: 3, message: 'exited with code 3' };
    const { input, executor } = setup([shell(0, 'A', 'a', { continueOnError: true }), shell(1, 'B', 'b'), shell(2, 'C', 'c')], {
      A: async () => failed,
      B: async () => failed,
      C: async () => ok,
    });
    const result = await runSteps(input);
    expect(executor.ran).toEqual(['A', 'B']);
    expect(result.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'step-failed' });
    expect(result.outcome.message).toContain('step 2 "B" failed (exited with code 3)');
    expect(result.steps.map((s) => s.status)).toEqual(['failed', 'failed', 'skipped']);
  });

  it('reports a timed-out step with its own reason code', async () => {
    const { input } = setup([shell(0, 'Slow', 'sleep 999', { timeoutSeconds: 5 })], {
      Slow: async () => ({ status: 'timed-out', exitCode: null, message: 'timed out after 5s' }),
    });
    expect((await runSteps(input)).outcome.reasonCode).toBe('step-timed-out');
  });

  it('errors with audit-unavailable (an outage, not a refusal) and runs nothing when run.started cannot be written', async () => {
    const { input, audit, executor } = setup([shell(0, 'A', 'a')], { A: async () => ok });
    audit.failAt.runStarted = 1;
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable' });
    expect(executor.prepared).toBe(0);
    expect(executor.ran).toEqual([]);
    expect(result.steps[0]!.status).toBe('skipped');
  });

  it('aborts the step in flight when the audit log fails mid-step', async () => {
    let sawAbort = false;
    const { input, audit, executor } = setup([shell(0, 'Stream', 'yes'), shell(1, 'Never', 'x')], {
      Stream: async (_s, c) => {
        try {
          for (let i = 0; i < 10; i++) await print(c, `row ${i}\n`);
        } catch {
          sawAbort = c.signal.aborted;
          return { status: 'cancelled', exitCode: null, message: 'stopped' };
        }
        return ok;
      },
      Never: async () => ok,
    });
    audit.failAt.stepOutput = 3;
    const result = await runSteps(input);
    expect(sawAbort).toBe(true);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable' });
    expect(executor.ran).toEqual(['Stream']);
    expect(result.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    expect(executor.disposed).toBe(1);
  });

  it('on cancellation aborts the step through its signal and records a cancelled run', async () => {
    const controller = new AbortController();
    const { input, audit, executor } = setup([shell(0, 'Long', 'sleep 600'), shell(1, 'After', 'x')], {
      Long: async (_s, c) => {
        await print(c, 'started\n');
        setImmediate(() => controller.abort(new Error('SIGTERM')));
        return waitForAbort(c);
      },
      After: async () => ok,
    }, { signal: controller.signal });
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ reasonCode: 'cancelled' });
    expect(executor.ran).toEqual(['Long']);
    const finished = audit.events.find((e) => e.type === 'step.finished');
    expect(finished?.type === 'step.finished' && finished.info.result.status).toBe('cancelled');
    const run = audit.events.find((e) => e.type === 'run.finished');
    expect(run?.type === 'run.finished' && run.info.reasonCode).toBe('cancelled');
    expect(audit.types().at(-1)).toBe('flush');
    expect(executor.disposed).toBe(1);
  });

  it('reports executor-unavailable when prepare fails, and still closes the audit run and disposes', async () => {
    const { input, audit, executor } = setup([shell(0, 'A', 'a')], { A: async () => ok });
    executor.prepareError = new Error('no running task in service billing-api');
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'executor-unavailable' });
    expect(result.outcome.message).toContain('no running task in service billing-api');
    expect(audit.types()).toEqual(['run.started', 'run.finished', 'flush']);
    expect(executor.disposed).toBe(1);
  });

  it('prints a heartbeat during long silent steps', async () => {
    const holder: { clock?: ManualClock } = {};
    const env = setup([shell(0, 'Backfill', 'backfill.sh')], {
      Backfill: async (_s, c) => {
        await print(c, 'x'.repeat(1_300_000) + '\n');
        await holder.clock!.advance(130_000);
        return ok;
      },
    });
    holder.clock = env.clock;
    await runSteps(env.input);
    const beats = env.progress.flatMap((e) => (e.kind === 'heartbeat' ? [e.line] : []));
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.length).toBeLessThanOrEqual(5);
    expect(beats.at(-1)).toMatch(/^step 'Backfill' still running, 2m\d\ds, 1\.2 MB output$/);
  });

  it('stops before the next step when the end-of-step flush fails', async () => {
    const { input, audit, executor } = setup([shell(0, 'A', 'a'), shell(1, 'B', 'b')], { A: async () => ok, B: async () => ok });
    audit.failAt.flush = 3; // the first two make target.resolved and step.started durable; the third ends step A
    const result = await runSteps(input);
    expect(result.outcome.reasonCode).toBe('audit-unavailable');
    expect(executor.ran).toEqual(['A']);
    expect(result.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped']);
  });

  it('runs no step whose step.started could not be made durable (a kill mid-step must leave it on record)', async () => {
    const { input, audit, executor } = setup([shell(0, 'A', 'a')], { A: async () => ok });
    audit.failAt.flush = 2; // the first makes target.resolved durable
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable' });
    expect(executor.ran).toEqual([]);
    expect(audit.types()).toEqual(['run.started', 'target.resolved', 'flush', 'step.started', 'run.finished']);
  });

  it('keeps running when the progress printer throws', async () => {
    const { input, executor } = setup([shell(0, 'A', 'a')], { A: async (_s, c) => (await print(c, 'hello\n'), ok) }, {
      onProgress: () => {
        throw new Error('stdout closed');
      },
    });
    expect((await runSteps(input)).outcome.reasonCode).toBe('ok');
    expect(executor.ran).toEqual(['A']);
  });

  it('stops a step whose executor ignores its own timeout, and records it as timed out', async () => {
    const never = () => new Promise<never>(() => {});
    const { input, clock, audit } = setup([shell(0, 'Stuck', 'sleep infinity', { timeoutSeconds: 5 }), shell(1, 'After', 'x')], { Stuck: never, After: async () => ok }, {
      timeoutGraceMs: 1_000,
      cancelGraceMs: 2_000,
    });
    const running = runSteps(input);
    await clock.advance(10_000);
    const result = await running;
    expect(result.outcome.reasonCode).toBe('step-timed-out');
    expect(result.steps[0]).toMatchObject({ status: 'timed-out' });
    expect(result.steps[0]!.message).toContain('may still be running on the target');
    expect(audit.types().at(-2)).toBe('run.finished');
  });

  it('errors with audit-unavailable and runs no step when target.resolved cannot be written', async () => {
    const { input, audit, executor } = setup([shell(0, 'A', 'a')], { A: async () => ok });
    audit.failAt.targetResolved = 1;
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable' });
    expect(result.outcome.message).toContain('could not record the resolved target, so nothing ran');
    expect(executor.ran).toEqual([]);
    expect(audit.types()).toEqual(['run.started', 'run.finished', 'flush']);
    expect(executor.disposed).toBe(1);
  });

  it("lets a step run as long as the executor says it legitimately may (SSM rate control), then stops it", async () => {
    const never = () => new Promise<never>(() => {});
    const { input, clock, executor } = setup([shell(0, 'Fleet', 'x', { timeoutSeconds: 5 })], { Fleet: never }, { timeoutGraceMs: 1_000, cancelGraceMs: 1_000 });
    executor.maxStepDurationMs = () => 60_000;
    let settled = false;
    const running = runSteps(input).finally(() => (settled = true));
    await clock.advance(30_000);
    // Far past the step's own 5 s timeout (+1 s grace), still inside the executor's 60 s.
    expect(settled).toBe(false);
    await clock.advance(35_000);
    const result = await running;
    expect(result.steps[0]).toMatchObject({ status: 'timed-out' });
    expect(result.outcome.reasonCode).toBe('step-timed-out');
  });

  it('flushes target.resolved before step 1 runs: a sink that buffers relies on these flush points', async () => {
    const { input, audit } = setup([shell(0, 'A', 'a')], { A: async () => ok });
    audit.failAt.flush = 1;
    const result = await runSteps(input);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable', message: expect.stringMatching(/could not record the resolved target, so nothing ran/) });
    expect(audit.types()).toEqual(['run.started', 'target.resolved', 'run.finished']);
  });

  it('lets a step run when the executor bounds it by the largest timer (SSM fleet of unknown size): the watchdog never fires at once', async () => {
    // Real timers: before the clamp and the chained sleep, limit + grace overflowed setTimeout, which fired after 1 ms.
    const { input, executor } = setup([shell(0, 'Fleet', 'x', { timeoutSeconds: 5 })], { Fleet: async () => (await new Promise((r) => setTimeout(r, 50)), ok) }, { clock: systemClock });
    executor.maxStepDurationMs = () => MAX_TIMER_MS;
    const result = await runSteps(input);
    expect(result.steps[0]).toMatchObject({ status: 'succeeded' });
    expect(result.outcome.reasonCode).toBe('ok');
  });

  it("says which limit stopped a step: the executor's own timeout, or opsgate's safety net past the step's timeout or the fleet bound", async () => {
    const never = () => new Promise<never>(() => {});
    const own = setup([shell(0, 'Slow', 'x', { timeoutSeconds: 5 })], { Slow: async () => ({ status: 'timed-out', exitCode: null, message: 'timed out after 5s' }) });
    expect((await runSteps(own.input)).outcome.message).toBe('step 1 "Slow" ran longer than its 5s timeout and was stopped; later steps did not run.');

    const net = setup([shell(0, 'Stuck', 'x', { timeoutSeconds: 5 })], { Stuck: never }, { timeoutGraceMs: 1_000, cancelGraceMs: 1_000 });
    const stuck = runSteps(net.input);
    await net.clock.advance(10_000);
    expect((await stuck).outcome.message).toBe(`step 1 "Stuck" was stopped by opsgate's safety net 1s past its 5s timeout, because the executor had not ended it; later steps did not run.`);

    const fleet = setup([shell(0, 'Fleet', 'x', { timeoutSeconds: 5 })], { Fleet: never }, { timeoutGraceMs: 1_000, cancelGraceMs: 1_000 });
    fleet.executor.maxStepDurationMs = () => 60_000;
    const rollout = runSteps(fleet.input);
    await fleet.clock.advance(65_000);
    expect((await rollout).outcome).toMatchObject({ reasonCode: 'step-timed-out', message: expect.stringMatching(/^step 1 "Fleet" was stopped by opsgate's safety net 1s past 1m00s, the longest the executor allows for it \(its timeout over every rate-controlled round of the fleet\)/) });
  });

  it('records a cancellation within the grace period even when the executor never confirms the stop', async () => {
    const controller = new AbortController();
    const never = () => new Promise<never>(() => {});
    const { input, clock, executor } = setup([shell(0, 'Stuck', 'x')], { Stuck: never }, { signal: controller.signal, cancelGraceMs: 2_000 });
    const running = runSteps(input);
    await clock.advance(1_000);
    controller.abort(new Error('SIGINT'));
    await clock.advance(3_000);
    const result = await running;
    expect(result.outcome.reasonCode).toBe('cancelled');
    expect(result.steps[0]).toMatchObject({ status: 'cancelled' });
    expect(executor.disposed).toBe(1);
  });
});
