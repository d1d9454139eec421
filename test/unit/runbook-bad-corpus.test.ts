// Table-driven: every file in test/fixtures/bad/ yields the diagnostic stated in expected.json at the exact
// line and column, and never yields a checked runbook / a config (so nothing could run).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRepoConfigBytes } from '../../src/config/load-repo-config.js';
import { checkRunbookInput } from '../../src/runbook/check.js';

const dir = join(import.meta.dirname, '../fixtures/bad');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { kind: string; code: string; line: number; column: number; message: string }>;
const config = loadRepoConfigBytes('.github/opsgate.yml', readFileSync(join(import.meta.dirname, '../fixtures/good/opsgate.yml'))).value!;

describe('bad corpus', () => {
  it('has an expectation for every file and at least 30 cases', () => {
    const files = [...readdirSync(dir).filter((f) => f.endsWith('.yml')), ...readdirSync(join(dir, 'config')).map((f) => `config/${f}`)];
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(expected))('%s', async (file, want) => {
    const bytes = readFileSync(join(dir, file));
    const diagnostics = want.kind === 'config'
      ? (() => { const r = loadRepoConfigBytes(file, bytes); expect(r.value).toBeUndefined(); return r.diagnostics; })()
      : await (async () => { const r = await checkRunbookInput(file, bytes, config); expect(r.checked).toBeUndefined(); return r.diagnostics; })();
    const first = diagnostics[0]!;
    expect(first).toBeDefined();
    expect({ code: first.code, line: first.span.start.line, column: first.span.start.column, severity: first.severity }).toEqual({ code: want.code, line: want.line, column: want.column, severity: 'error' });
    expect(first.message).toContain(want.message);
    expect(first.file).toBe(file);
  });
});
