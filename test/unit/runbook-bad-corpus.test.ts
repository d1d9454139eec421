// Table-driven: every file in test/fixtures/bad/ yields the diagnostic stated in expected.json (code, line,
// column and message), never yields a checked runbook or a config, and, pushed through the local-run use case
// with the real loaders and a recording executor, runs nothing: no step, no transcript.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../src/config/load-repo-config.js';
import { checkRunbook } from '../../src/runbook/check.js';
import type { SourceFile } from '../../src/runbook/load-result.js';
import { runLocally } from '../../src/usecases/local-run.js';
import { stdoutTerminal } from '../../src/cli/run.js';
import { ManualClock, MemoryAudit, ScriptedExecutor } from '../support/run-fakes.js';

interface Expectation { kind: 'runbook' | 'config'; code: string; line: number; column: number; message: string }

const dir = join(import.meta.dirname, '../fixtures/bad');
const good = join(import.meta.dirname, '../fixtures/good');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Expectation>;
const goodConfig: SourceFile = { path: '.github/opsgate.yml', bytes: readFileSync(join(good, 'opsgate.yml')) };
const goodRunbook: SourceFile = { path: 'runbooks/backfill-invoice-totals.yml', bytes: readFileSync(join(good, 'backfill-invoice-totals.yml')) };
const config = loadRepoConfig(goodConfig).value!;

const source = (file: string): SourceFile => ({ path: file, bytes: readFileSync(join(dir, file)) });

describe('bad corpus', () => {
  it('has an expectation for every file and at least 30 cases', () => {
    const files = [...readdirSync(dir).filter((f) => f.endsWith('.yml')), ...readdirSync(join(dir, 'config')).map((f) => `config/${f}`)];
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(expected))('%s', async (file, want) => {
    const diagnostics = want.kind === 'config'
      ? (() => { const r = loadRepoConfig(source(file)); expect(r.value).toBeUndefined(); return r.diagnostics; })()
      : await (async () => { const r = await checkRunbook(source(file), config); expect(r.checked).toBeUndefined(); return r.diagnostics; })();
    const first = diagnostics[0]!;
    expect(first).toBeDefined();
    expect({ code: first.code, line: first.span.start.line, column: first.span.start.column, severity: first.severity, message: first.message })
      .toEqual({ code: want.code, line: want.line, column: want.column, severity: 'error', message: want.message });
    expect(first.file).toBe(file);
  });

  it.each(Object.entries(expected))('%s: nothing runs', async (file, want) => {
    const executor = new ScriptedExecutor({});
    let auditsCreated = 0;
    let output = '';
    const outcome = await runLocally({
      runbook: want.kind === 'runbook' ? source(file) : goodRunbook,
      config: want.kind === 'config' ? source(file) : goodConfig,
      loadRepoConfig,
      checkRunbook,
      createExecutor: () => executor,
      createAudit: () => (auditsCreated++, new MemoryAudit()),
      psqlAvailable: async () => true,
      clock: new ManualClock(),
      env: { BILLING_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' },
      terminal: stdoutTerminal((t) => (output += t)),
      runId: 'corpus',
      ignoreWindow: true,
    });
    expect(outcome.exitCode).toBe(2);
    expect(executor.ran).toEqual([]);
    expect(executor.prepared).toBe(0);
    expect(auditsCreated).toBe(0);
    expect(output).toContain('nothing ran');
  });
});
