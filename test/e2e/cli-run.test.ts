// `opsgate run` from the command line (source entry point through tsx): usage and input errors exit 2 with
// a sentence that says what to do, and nothing runs.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('opsgate run (CLI)', () => {
  it('refuses without --local and says why', () => {
    const r = cli('run', 'runbooks/examples/anything.yml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('add --local');
    expect(r.stderr).toContain('Usage: opsgate run <runbook> --local');
  });

  it('names a missing runbook file', () => {
    const r = cli('run', 'no/such/runbook.yml', '--local', '--config', 'no/such/config.yml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/runbook.yml:1:1: error: no such file. Fix: check the path.');
    expect(r.stderr).toContain('no/such/config.yml:1:1: error: no such file. Fix: check the path.');
    expect(r.stderr).toContain('Nothing ran.');
  });

  it('rejects unknown options and extra runbooks', () => {
    expect(cli('run', 'a.yml', '--local', '--remote').code).toBe(2);
    const r = cli('run', 'a.yml', 'b.yml', '--local');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('one runbook at a time');
  });
});
