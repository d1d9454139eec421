// `opsgate demo` from the command line: the example it picks, and clear exits when it cannot start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMainExample } from '../../src/cli/demo.js';

const dir = mkdtempSync(path.join(tmpdir(), 'opsgate-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('opsgate demo', () => {
  it('picks the example that has both shell and SQL steps', () => {
    writeFileSync(path.join(dir, 'a-shell-only.yml'), 'steps:\n  - name: x\n    run: echo hi\n');
    writeFileSync(path.join(dir, 'b-both.yml'), 'steps:\n  - name: x\n    sql: SELECT 1;\n    database: billing\n  - name: y\n    run: echo hi\n');
    writeFileSync(path.join(dir, 'notes.md'), 'run: sql:');
    expect(findMainExample(dir)).toBe(path.posix.join(dir, 'b-both.yml'));
    expect(findMainExample(path.join(dir, 'missing'))).toBeUndefined();
  });

  it('exits 2 naming the missing config', () => {
    const runbook = path.join(dir, 'b-both.yml');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', '--runbook', runbook, '--config', path.join(dir, 'nope.yml')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nope.yml not found');
  });
});
