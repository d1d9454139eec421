// The committed bundle starts as the runner starts it and reports through the file commands.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAction } from '../support/run-action.js';

describe('node dist/index.js', () => {
  it('starts, and refuses an event it cannot handle with outputs and a non-zero exit', async () => {
    const run = await runAction({ eventName: 'issues', payload: {}, inputs: { 'github-token': 'ghs_test', mode: 'auto' } });
    expect(run.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module|SyntaxError/);
    expect(run.exitCode).toBe(1);
    // The workflow's to fix (its triggers), so a refusal, not an internal error.
    expect(run.outputs.decision).toBe('refuse');
    expect(run.outputs['reason-code']).toBe('invalid-config');
    expect(JSON.parse(run.outputs.result!)).toMatchObject({ version: 1, outcome: { decision: 'refuse' } });
    expect(run.stdout).toMatch(/does not know what to do on the "issues" event/);
  });
});

describe('bin/opsgate.js', () => {
  it('prints usage and exits 2 without a command', () => {
    const bin = fileURLToPath(new URL('../../bin/opsgate.js', import.meta.url));
    const result = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/opsgate validate/);
  });
});
