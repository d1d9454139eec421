// The local-run use case with in-memory ports: checking, window, psql presence, output and exit codes.
import { describe, expect, it } from 'vitest';
import { runLocally, secretValues, type LocalRunInput } from '../../src/usecases/local-run.js';
import type { CheckResult } from '../../src/runbook/check.js';
import type { Runbook, Step } from '../../src/runbook/model.js';
import type { Diagnostic } from '../../src/runbook/diagnostics.js';
import { stdoutTerminal } from '../../src/cli/run.js';
import { ManualClock, MemoryAudit, ok, print, ScriptedExecutor, type StepScript } from '../support/run-fakes.js';
import { testRepoConfig } from '../support/repo-config.js';

const config = testRepoConfig({ targets: { 'billing-prod': { kind: 'ecs', name: 'billing-prod', cluster: 'prod', service: 'billing' } }, databases: { billing: { name: 'billing', engine: 'postgres', target: 'billing-prod', urlEnv: 'BILLING_DATABASE_URL' } }, policy: { redact: ['tok_[a-z0-9]+'] } });

const steps: Step[] = [
  { kind: 'shell', index: 0, name: 'Count', run: 'echo counting', timeoutSeconds: 60, continueOnError: false },
  { kind: 'sql', index: 1, name: 'Fix', sql: 'UPDATE t SET x = 1 WHERE id = 2;', database: 'billing', transaction: true, timeoutSeconds: 60, continueOnError: false },
];

function setup(options: { diagnostics?: Diagnostic[]; window?: Runbook['window']; psql?: boolean; scripts?: Record<string, StepScript>; now?: string }) {
  const runbook: Runbook = { path: 'runbooks/fix.yml', version: 1, title: 'Fix refunds', target: 'billing-prod', steps, ...(options.window ? { window: options.window } : {}) };
  const check: CheckResult = {
    file: runbook.path,
    diagnostics: options.diagnostics ?? [],
    ...(options.diagnostics?.some((d) => d.severity === 'error') ? {} : { checked: { runbook, text: 'x', digest: `sha256:${'1'.repeat(64)}`, sqlStatements: new Map() } }),
  };
  const audit = new MemoryAudit();
  const executor = new ScriptedExecutor(
    options.scripts ?? {
      Count: async (_s, c) => (await print(c, 'token tok_abc123 and url postgres://app:pw-9876@db/billing\n', 'no newline at end'), ok),
      Fix: async (_s, c) => (await print(c, 'UPDATE 1\n'), ok),
    },
  );
  let text = '';
  const input: LocalRunInput = {
    runbook: { path: runbook.path, text: 'x' },
    config: { path: config.path, text: 'x' },
    loadRepoConfig: () => ({ value: config, diagnostics: [], sourceMap: new Map() }),
    checkRunbook: async () => check,
    createExecutor: () => executor,
    createAudit: () => audit,
    psqlAvailable: async () => options.psql ?? true,
    clock: new ManualClock(options.now),
    env: { BILLING_DATABASE_URL: 'postgres://app:pw-9876@db/billing', HOME: '/root' },
    terminal: stdoutTerminal((t) => (text += t)),
    runId: 'local-1',
  };
  return { input, audit, executor, output: () => text };
}

const error: Diagnostic = {
  file: 'runbooks/fix.yml',
  span: { start: { line: 4, column: 3 }, end: { line: 4, column: 9 } },
  severity: 'error',
  code: 'unknown-key',
  message: 'unknown key `timout`',
  fix: 'did you mean `timeout`?',
};

describe('runLocally', () => {
  it('runs all steps here, says the configured target is ignored, masks secrets, exit 0', async () => {
    const { input, audit, executor, output } = setup({});
    const outcome = await runLocally(input);
    expect(outcome.exitCode).toBe(0);
    expect(executor.ran).toEqual(['Count', 'Fix']);
    const text = output();
    expect(text).toContain('Running "Fix refunds" (runbooks/fix.yml) on THIS MACHINE.');
    expect(text).toContain('target "billing-prod" is ECS; --local ignores it');
    expect(text).toContain('── Step 1/2: Count (shell) ──');
    expect(text).toContain('token *** and url ***\nno newline at end\n── succeeded, exit code 0');
    expect(text).not.toContain('pw-9876');
    expect(text).toContain('Transcript: memory audit');
    expect(audit.output(0)).not.toContain('tok_abc123');
  });

  it('prints diagnostics and exits 2 without running anything on a bad runbook', async () => {
    const { input, executor, audit, output } = setup({ diagnostics: [error] });
    const outcome = await runLocally(input);
    expect(outcome.exitCode).toBe(2);
    expect(executor.ran).toEqual([]);
    expect(audit.events).toEqual([]);
    expect(output()).toContain('runbooks/fix.yml:4:3: error: unknown key `timout`. Fix: did you mean `timeout`?');
  });

  it('refuses outside the window with exit 1', async () => {
    const { input, executor, output } = setup({ window: { notBefore: '2026-11-24T00:00:00+01:00' }, now: '2026-11-23T12:00:00Z' });
    expect((await runLocally(input)).exitCode).toBe(1);
    expect(executor.ran).toEqual([]);
    expect(output()).toContain('Refused (window-not-open)');
    expect(output()).toContain('2026-11-23 23:00 UTC (2026-11-24 00:00 +01:00)');
  });

  it('explains a missing psql before running anything', async () => {
    const { input, executor, output } = setup({ psql: false });
    expect((await runLocally(input)).exitCode).toBe(1);
    expect(executor.ran).toEqual([]);
    expect(output()).toContain('psql, which is not installed');
  });

  it('exits 1 when a step fails', async () => {
    const { input, output } = setup({
      scripts: { Count: async () => ({ status: 'failed', exitCode: 4, message: 'exited with code 4' }), Fix: async () => ok },
    });
    expect((await runLocally(input)).exitCode).toBe(1);
    expect(output()).toContain('Stopped (step-failed)');
  });

  it('treats URL, token, secret and password variables as secrets', () => {
    expect(secretValues({ A_URL: 'postgres://u:p%40ss@h/d', GITHUB_TOKEN: 'ghs_x', PATH: '/bin', DB_PASSWORD: 'pw' }).sort()).toEqual(
      ['ghs_x', 'p@ss', 'postgres://u:p%40ss@h/d', 'pw'].sort(),
    );
  });
});
