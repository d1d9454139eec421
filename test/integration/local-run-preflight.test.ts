// `opsgate run --local` checks what SQL steps need before the first step runs: a shell step placed before a
// SQL step must not run when the SQL step's URL variable is unset or psql is missing. Real loaders, the real
// local executor and the real JSON-lines file sink.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../src/config/load-repo-config.js';
import { checkRunbook } from '../../src/runbook/check.js';
import { createLocalExecutor } from '../../src/adapters/local/local-executor.js';
import { createFileAuditLog } from '../../src/adapters/local/file-audit.js';
import { runLocally } from '../../src/usecases/local-run.js';
import { stdoutTerminal } from '../../src/cli/run.js';
import { systemClock } from '../../src/ports/clock.js';

const dir = mkdtempSync(path.join(tmpdir(), 'opsgate-preflight-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = { path: '.github/opsgate.yml', bytes: readFileSync(path.join(import.meta.dirname, '../../.github/opsgate.yml')) };

function runbook(marker: string): { path: string; text: string } {
  return {
    path: 'runbooks/two-steps.yml',
    text: `version: 1\ntitle: Shell first, then SQL\ntarget: dev-box\nsteps:\n  - name: Touch marker\n    run: touch ${marker}\n  - name: Count\n    sql: SELECT 1;\n    database: billing\n`,
  };
}

async function run(env: Record<string, string>, psql: boolean) {
  const marker = path.join(dir, `marker-${Math.random().toString(36).slice(2)}`);
  const transcript = path.join(dir, `${path.basename(marker)}.jsonl`);
  let output = '';
  const outcome = await runLocally({
    runbook: runbook(marker),
    config,
    loadRepoConfig,
    checkRunbook,
    createExecutor: () => createLocalExecutor(),
    createAudit: () => createFileAuditLog(transcript),
    psqlAvailable: async () => psql,
    clock: systemClock,
    env: { PATH: process.env.PATH ?? '', ...env },
    terminal: stdoutTerminal((t) => (output += t)),
    runId: 'preflight',
  });
  return { outcome, output, ran: existsSync(marker), transcriptWritten: existsSync(transcript) };
}

describe('local run preflight', () => {
  it('refuses before step 1 when a SQL step\'s URL variable is unset, naming it', async () => {
    const r = await run({}, true);
    expect(r.outcome.exitCode).toBe(1);
    expect(r.ran).toBe(false);
    expect(r.transcriptWritten).toBe(false);
    expect(r.output).toContain('Refused: step 2 ("Count") needs the environment variable BILLING_DATABASE_URL (the connection URL of database "billing"), which is not set.');
    expect(r.output).toContain('Nothing ran.');
  });

  it('refuses before step 1 when psql is missing', async () => {
    const r = await run({ BILLING_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' }, false);
    expect(r.outcome.exitCode).toBe(1);
    expect(r.ran).toBe(false);
    expect(r.output).toContain('psql, which is not installed');
  });

  it('runs the shell step when everything SQL needs is there (the SQL step then fails to connect)', async () => {
    const r = await run({ BILLING_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' }, true);
    expect(r.ran).toBe(true);
    expect(r.transcriptWritten).toBe(true);
    expect(r.outcome.exitCode).toBe(1);
  });
});
