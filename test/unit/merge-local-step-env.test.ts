// What a step on the local target inherits: the runner's environment without its credentials and file commands;
// and for `opsgate run --local`, the operator's environment without what belongs to a GitHub Actions job.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stepEnvironment } from '../../src/adapters/local/local-executor.js';
import { runLocalFile } from '../../src/cli/run.js';
import { configYaml, runbookYaml } from '../support/merge/yaml-fixtures.js';

describe('stepEnvironment', () => {
  const runner = {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    BILLING_DATABASE_URL: 'postgres://u:p@db/billing',
    'INPUT_GITHUB-TOKEN': 'ghs_input',
    INPUT_MODE: 'auto',
    ACTIONS_RUNTIME_TOKEN: 'rt',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'idt',
    GITHUB_TOKEN: 'ghs_env',
    GITHUB_SHA: 'abc',
    AWS_ACCESS_KEY_ID: 'AKIA',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'session',
    AWS_REGION: 'eu-west-1',
    GITHUB_OUTPUT: '/tmp/out',
    GITHUB_ENV: '/tmp/env',
    GITHUB_STATE: '/tmp/state',
    STATE_isPost: 'true',
  };

  it('keeps ordinary variables and drops inputs, runner tokens, AWS credentials and file commands', () => {
    expect(Object.keys(stepEnvironment(runner)).sort()).toEqual(['AWS_REGION', 'BILLING_DATABASE_URL', 'GITHUB_SHA', 'HOME', 'PATH']);
  });

  it('keeps what the caller hands in explicitly, even under a withheld name', () => {
    expect(stepEnvironment(runner, { AWS_PROFILE: 'ops', GITHUB_TOKEN: 'given' })).toMatchObject({ AWS_PROFILE: 'ops', GITHUB_TOKEN: 'given' });
  });
});

describe('opsgate run --local', () => {
  it("keeps the operator's own environment, AWS credentials included, and withholds a job's tokens and file commands", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsgate-cli-env-'));
    const envFile = join(dir, 'env.txt');
    writeFileSync(join(dir, 'opsgate.yml'), configYaml());
    writeFileSync(join(dir, 'r.yml'), runbookYaml([`env > '${envFile}'`]));
    const operator = {
      PATH: process.env.PATH ?? '/usr/bin',
      HOME: dir,
      AWS_ACCESS_KEY_ID: 'AKIAOPERATOR',
      AWS_SECRET_ACCESS_KEY: 'operator-secret',
      AWS_PROFILE: 'ops',
      'INPUT_GITHUB-TOKEN': 'ghs_input',
      ACTIONS_RUNTIME_TOKEN: 'rt',
      STATE_isPost: 'true',
      GITHUB_TOKEN: 'ghs_env',
      GITHUB_OUTPUT: join(dir, 'out'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await runLocalFile({ runbookPath: join(dir, 'r.yml'), configPath: join(dir, 'opsgate.yml'), transcriptPath: join(dir, 't.jsonl'), runId: 'local-1', env: operator, ignoreWindow: true });
      expect(code).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    const seen = readFileSync(envFile, 'utf8').split('\n').map((line) => line.split('=')[0]!);
    expect(seen).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'HOME']));
    expect(seen.filter((name) => /^(INPUT_|ACTIONS_|STATE_)|^(GITHUB_TOKEN|GITHUB_OUTPUT|GITHUB_STEP_SUMMARY)$/.test(name))).toEqual([]);
  });
});
