// Runs the real CLI entry (tsx src/cli.ts validate) and checks its output and exit codes.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', ...args], { cwd: root, encoding: 'utf8' });

describe('opsgate validate', () => {
  it('exits 0 on the examples', () => {
    const r = cli();
    expect(r.stdout).toContain('valid: 2 runbooks checked, 0 errors');
    expect(r.status).toBe(0);
  }, 60_000);

  it('exits 2 and prints file:line:col with the fix on bad runbooks', () => {
    const r = cli('test/fixtures/bad/unknown-step-key.yml', 'test/fixtures/bad/deny-command.yml');
    expect(r.stdout).toContain('test/fixtures/bad/unknown-step-key.yml:7:5: error: unknown key `timout` in step 1 ("a"); did you mean `timeout`? Fix: rename it to `timeout`.\n');
    expect(r.stdout).toContain('test/fixtures/bad/deny-command.yml:8:14: error:');
    expect(r.stdout).toMatch(/invalid: 2 runbooks checked, 2 errors/);
    expect(r.status).toBe(2);
  }, 60_000);

  it('refuses a missing config or path clearly, and --help exits 0', () => {
    const r = cli('--config', 'no/such.yml');
    expect(r.stdout).toContain('no/such.yml:1:1: error: cannot use the repo config: no such file. Fix: pass --config <file>.');
    expect(r.status).toBe(2);
    const missing = cli('no/such/dir');
    expect(missing.stdout).toContain('no/such/dir:1:1: error: no such file or directory.');
    expect(cli('--help').status).toBe(0);
  }, 60_000);

  it('validates the config itself', () => {
    const r = cli('--config', 'test/fixtures/bad/config/bad-regex.config.yml');
    expect(r.stdout).toContain('bad-regex.config.yml:6:12: error: item 1 of `policy.redact` is not a valid regular expression');
    expect(r.status).toBe(2);
  }, 60_000);
});
