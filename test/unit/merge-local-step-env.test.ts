// What a step on the local target inherits: the runner's environment without its credentials and file commands.
import { describe, expect, it } from 'vitest';
import { stepEnvironment } from '../../src/adapters/local/local-executor.js';

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
