import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRefusedExit, REFUSED_REBOOT_EXIT, wrapScriptForSsm } from '../../src/adapters/aws/ssm-wrapper.js';

const nonce = '0f1e2d3c-aaaa-bbbb-cccc-000000000001';

/** Runs the wrapper the way AWS-RunShellScript does: the commands joined into one bash script. */
function runWrapped(script: string, dir: string) {
  const result = spawnSync('bash', ['-c', wrapScriptForSsm(script, nonce).join('\n')], { env: { ...process.env, TMPDIR: dir }, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('wrapScriptForSsm', () => {
  it('carries the script only as base64', () => {
    const lines = wrapScriptForSsm("echo '$(rm -rf /)'", nonce).join('\n');
    expect(lines).not.toContain('rm -rf');
    expect(lines).toContain(Buffer.from("echo '$(rm -rf /)'").toString('base64'));
  });

  it('runs the script from an unpredictable temporary file and removes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrap-'));
    const seen = runWrapped('echo "$0"; echo out; exit 3', dir);
    expect(seen.code).toBe(3);
    const [path, out] = seen.stdout.split('\n');
    expect(out).toBe('out');
    expect(path).toMatch(new RegExp(`^${dir}/opsgate-step\\.[A-Za-z0-9]{10}$`));
    expect(path).not.toContain(String(process.pid));
    expect(readdirSync(dir)).toEqual([]);
  });

  // `exit 3010` reaches the agent as 194 on Linux (exit codes are 8 bits), so it must be refused too.
  it.each(['exit 194', 'exit 3010'])('refuses `%s` with the marker line and exit 125', (script) => {
    const dir = mkdtempSync(join(tmpdir(), 'wrap-'));
    const seen = runWrapped(script, dir);
    expect(seen.code).toBe(REFUSED_REBOOT_EXIT);
    expect(findRefusedExit(seen.stderr, nonce)).toBe(194);
  });

  it("does not mistake the script's own exit 125 or another nonce for a refusal", () => {
    const dir = mkdtempSync(join(tmpdir(), 'wrap-'));
    const seen = runWrapped('echo "opsgate-refused-exit:someone-else:194)" >&2; exit 125', dir);
    expect(seen.code).toBe(125);
    expect(findRefusedExit(seen.stderr, nonce)).toBeUndefined();
  });
});
