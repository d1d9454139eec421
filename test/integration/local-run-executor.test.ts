// The orchestrator driving the real local executor against a real PostgreSQL: streaming and masking, a
// cancelled step and an audit failure both stop the real process.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoPostgres, type DemoPostgres } from '../../src/adapters/local/demo-postgres.js';
import { createLocalExecutor } from '../../src/adapters/local/local-executor.js';
import { createFileAuditLog } from '../../src/adapters/local/file-audit.js';
import { runSteps, type RunStepsInput } from '../../src/run/orchestrator.js';
import { createRedactor } from '../../src/run/redaction.js';
import { secretValues } from '../../src/usecases/local-run.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Step } from '../../src/runbook/model.js';
import { MemoryAudit } from '../support/run-fakes.js';
import { testRepoConfig } from '../support/repo-config.js';

let pg: DemoPostgres;
const dir = mkdtempSync(path.join(tmpdir(), 'opsgate-local-run-'));
beforeAll(async () => {
  pg = await startDemoPostgres();
});
afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = testRepoConfig({ targets: { 'dev-box': { kind: 'local', name: 'dev-box' } }, databases: { billing: { name: 'billing', engine: 'postgres', target: 'dev-box', urlEnv: 'BILLING_DATABASE_URL' } } });

function input(steps: Step[], extra: Partial<RunStepsInput> = {}): { input: RunStepsInput; audit: MemoryAudit } {
  const env = { ...(process.env as Record<string, string>), BILLING_DATABASE_URL: pg.url };
  const audit = new MemoryAudit();
  return {
    audit,
    input: {
      checked: { runbook: { path: 'runbooks/t.yml', version: 1, title: 'T', target: 'dev-box', steps }, text: '', digest: 'sha256:0', sqlStatements: new Map() },
      config,
      executor: createLocalExecutor({ killGraceMs: 1000 }),
      audit,
      identity: { repository: 'local', pullRequest: null, runbookPath: 'runbooks/t.yml', runbookDigest: 'sha256:0', runId: `it-${Date.now()}` },
      startedInfo: { approvers: [], target: { name: 'local', description: 'this machine', members: ['localhost'] }, title: 'T' },
      clock: systemClock,
      env,
      redactor: createRedactor({ secrets: secretValues(env) }),
      ...extra,
    },
  };
}

const shell = (index: number, name: string, run: string): Step => ({ kind: 'shell', index, name, run, timeoutSeconds: 60, continueOnError: false });

describe('runSteps with the local executor', () => {
  it('runs shell and SQL steps for real, streaming masked output to the audit log', async () => {
    const { input: run, audit } = input([
      shell(0, 'Echo', 'echo "connecting to $BILLING_DATABASE_URL"; echo bye >&2'),
      { kind: 'sql', index: 1, name: 'Create', sql: "CREATE TABLE IF NOT EXISTS t (v text); INSERT INTO t VALUES ('ok'); SELECT count(*) AS n FROM t;", database: 'billing', transaction: true, timeoutSeconds: 60, continueOnError: false },
    ]);
    const result = await runSteps(run);
    expect(result.outcome.reasonCode).toBe('ok');
    expect(audit.output(0)).toContain('connecting to ***');
    expect(audit.output(0)).toContain('bye');
    expect(JSON.stringify(audit.events)).not.toContain(new URL(pg.url).password);
    expect(audit.output(1)).toMatch(/\bn\b[\s\S]*1/);
    expect(result.steps.map((s) => s.exitCode)).toEqual([0, 0]);
  });

  it('stops the real process on cancellation and records the cancelled run', async () => {
    const pidFile = path.join(dir, 'cancel.pid');
    const controller = new AbortController();
    const { input: run, audit } = input([shell(0, 'Sleep', `echo $$ > ${pidFile}; echo started; exec sleep 30`), shell(1, 'After', 'echo never')], {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.kind === 'output' && e.text.includes('started')) controller.abort(new Error('SIGINT'));
      },
    });
    const result = await runSteps(run);
    expect(result.outcome.reasonCode).toBe('cancelled');
    expect(result.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    expect(audit.types()).toContain('run.finished');
    expect(isAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('stops the real process when the audit log fails mid-step', async () => {
    const pidFile = path.join(dir, 'audit.pid');
    const { input: run, audit } = input([shell(0, 'Chatty', `echo $$ > ${pidFile}; while true; do echo line; sleep 0.05; done`), shell(1, 'After', 'echo never')]);
    audit.failAt.stepOutput = 3;
    const result = await runSteps(run);
    expect(result.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable' });
    expect(result.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    expect(existsSync(pidFile)).toBe(true);
    expect(isAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('writes the transcript as JSON lines through the file audit log', async () => {
    const file = path.join(dir, 'transcript.jsonl');
    const { input: run } = input([shell(0, 'Echo', 'echo "url $BILLING_DATABASE_URL"')], { audit: createFileAuditLog(file) });
    const result = await runSteps(run);
    expect(result.outcome.reasonCode).toBe('ok');
    const text = readFileSync(file, 'utf8');
    const lines = text.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) JSON.parse(line);
    expect(text).not.toContain(new URL(pg.url).password);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
