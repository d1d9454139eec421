// `opsgate plan` and the command list from the command line (source entry point through tsx): paths outside
// the current directory are shown whole, bad bytes are refused as validate refuses them, and every usage
// line the tool prints comes from the command that parses those arguments.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'opsgate-plan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('opsgate plan (CLI)', () => {
  it('shows a runbook outside the current directory by its absolute path', () => {
    const outside = path.join(dir, 'outside.yml');
    copyFileSync('runbooks/examples/backfill-invoice-totals.yml', outside);
    const r = cli('plan', outside);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(outside);
    expect(r.stdout).not.toContain('../');
  });

  it('refuses invalid UTF-8 and oversized files, as validate does', () => {
    const utf8 = cli('plan', 'test/fixtures/bad/invalid-utf8.yml');
    expect(utf8.code).toBe(2);
    expect(utf8.stderr).toContain('test/fixtures/bad/invalid-utf8.yml:1:1: error: file is not valid UTF-8.');
    const large = cli('plan', 'test/fixtures/bad/too-large.yml');
    expect(large.code).toBe(2);
    expect(large.stderr).toContain('test/fixtures/bad/too-large.yml:1:1: error: file is 270034 bytes; the limit is 262144 bytes (256 KiB).');
  });

  it('prints the usage of each command as the command itself states it', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const command of ['validate', 'plan', 'run', 'demo']) {
      const own = cli(command, '--help');
      expect(own.code).toBe(0);
      const usageLine = own.stdout.split('\n')[0]!.replace(/^Usage: /, '');
      expect(r.stdout).toContain(`  ${usageLine}\n`);
    }
    expect(r.stdout).toContain('opsgate plan [--config .github/opsgate.yml] <runbook>...');
  });

  it('exits 2 with the usage on an unknown command', () => {
    const r = cli('deploy');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command "deploy".');
  });
});
