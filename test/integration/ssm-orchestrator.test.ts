// The SSM executor under the real orchestrator and the production clock: what prepare() resolved is on record
// before step 1, each instance's result lands in step.finished, and a cancel is confirmed within the grace.
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createSsmExecutor } from '../../src/adapters/aws/ssm-executor.js';
import { systemClock } from '../../src/ports/clock.js';
import { runSteps, type RunStepsInput } from '../../src/run/orchestrator.js';
import type { CheckedRunbook } from '../../src/runbook/check.js';
import type { Step } from '../../src/runbook/model.js';
import { MemoryAudit } from '../support/run-fakes.js';
import { type SsmSimulator } from '../support/ssm-simulator/server.js';
import { instanceIds, shellStep, ssmTarget, startSsmTestbed, stopSsmTestbed } from '../support/ssm-simulator/test-kit.js';
import { testRepoConfig } from '../support/repo-config.js';

const [obedient, stubborn] = instanceIds(2, 'r');
let sim: SsmSimulator;
let ssm: SSMClient;

beforeAll(async () => {
  ({ sim, ssm } = await startSsmTestbed({
    instances: [
      { id: obedient!, tags: { Role: 'api' } },
      { id: stubborn!, tags: { Role: 'api' }, ignoresCancel: true },
    ],
    invocationDoesNotExistPolls: 1,
    emptyListCalls: 1,
  }));
});
afterAll(() => stopSsmTestbed({ sim, ssm }));
afterEach(() => {
  expect(sim.violations).toEqual([]);
});

const target = ssmTarget({ name: 'api', tags: { Role: 'api' } });
const config = testRepoConfig({ targets: { api: target } });

function input(steps: Step[], signal?: AbortSignal): RunStepsInput & { audit: MemoryAudit } {
  const checked: CheckedRunbook = {
    runbook: { path: 'runbooks/api.yml', version: 1, title: 'API fix', target: 'api', steps },
    text: 'x',
    digest: `sha256:${'0'.repeat(64)}`,
    sqlStatements: new Map(),
  };
  return {
    checked,
    config,
    executor: createSsmExecutor({ ssm, target }),
    audit: new MemoryAudit(),
    clock: systemClock,
    identity: { repository: 'acme/ops', pullRequest: 7, runbookPath: 'runbooks/api.yml', runbookDigest: checked.digest, runId: 'run-ssm' },
    startedInfo: { approvers: [], target: { name: 'api', description: 'SSM target "api"', members: [] }, title: 'API fix' },
    ...(signal ? { signal } : {}),
    cancelGraceMs: 2_500, // what the action uses
  };
}

it('records the resolved instances before step 1 and every instance’s result in step.finished', async () => {
  const run = input([shellStep('echo "hello from $SIM_INSTANCE_ID"', 60, 'greet')]);
  const result = await runSteps(run);
  expect(result.outcome.decision).toBe('proceed');
  const types = run.audit.events.map((e) => e.type);
  expect(types.indexOf('target.resolved')).toBeLessThan(types.indexOf('step.started'));
  const resolved = run.audit.events.find((e) => e.type === 'target.resolved');
  expect(resolved?.type === 'target.resolved' && [...resolved.target.members].sort()).toEqual([obedient, stubborn].sort());
  const finished = run.audit.events.find((e) => e.type === 'step.finished');
  const perTarget = finished?.type === 'step.finished' ? finished.info.result.perTarget : undefined;
  expect(perTarget?.map((t) => [t.id, t.status]).sort()).toEqual([[obedient, 'succeeded'], [stubborn, 'succeeded']].sort());
  const output = run.audit.events.filter((e) => e.type === 'step.output').map((e) => (e.type === 'step.output' ? e.text : '')).join('');
  expect(output).toContain(`==> ${obedient} <==\nhello from ${obedient}\n`);
  expect(sim.requests.find((r) => r.operation === 'SendCommand')?.body.Comment).toMatch(/^opsgate acme\/ops#7 greet \[send [0-9a-f]{12}\]$/);
});

it('confirms a cancel within the orchestrator’s grace, naming the instance that may still be running', async () => {
  // SIGINT once both instances run the step and printed (never on a timer: a slow start would cancel too early).
  const controller = new AbortController();
  const earlier = new Set(sim.commands.keys());
  const printed = [obedient!, stubborn!].map((id) =>
    sim.whenInvocation((inv, command) => !earlier.has(command.id) && inv.instanceId === id && inv.status === 'InProgress' && inv.stdout.includes('started')),
  );
  void Promise.all(printed).then(() => controller.abort(new Error('SIGINT')));
  const run = input([shellStep('echo started; sleep 30', 60, 'slow')], controller.signal);
  const result = await runSteps(run);
  expect(result.outcome.reasonCode).toBe('cancelled');
  const step = result.steps[0]!;
  expect(step.status).toBe('cancelled');
  expect(step.message).toBe(`cancelled; CancelCommand sent, but SSM gives no guarantee that the script stops: may still be running on: ${stubborn}`);
});
