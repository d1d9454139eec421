import { describe, expect, it } from 'vitest';
import { buildTargets, wrapScriptForSsm } from '../../src/adapters/aws/ssm-executor.js';
import { mapInvocationStatus } from '../../src/adapters/aws/ssm-status.js';

describe('mapInvocationStatus', () => {
  it.each([
    ['Success', 'Success', 0, 'succeeded', /code 0/],
    ['Failed', 'Failed', 3, 'failed', /exited with code 3/],
    ['TimedOut', 'Execution Timed Out', 124, 'timed-out', /timed out after 60s/],
    ['TimedOut', 'Delivery Timed Out', -1, 'error', /never started/],
    ['Failed', 'Undeliverable', -1, 'error', /undeliverable/],
    ['Cancelled', 'Terminated', -1, 'cancelled', /max-errors/],
    ['Failed', 'Access Denied', -1, 'error', /access denied/],
    ['Failed', 'Invalid Platform', -1, 'error', /Linux/],
    ['Cancelled', 'Cancelled', -1, 'cancelled', /cancelled/],
  ])('%s / %s', (status, details, code, expected, message) => {
    const outcome = mapInvocationStatus(status, details, code, 60);
    expect(outcome.status).toBe(expected);
    expect(outcome.message).toMatch(message);
  });
});

describe('buildTargets', () => {
  it('maps tags and resource groups, and refuses more than 5 keys', () => {
    expect(buildTargets({ kind: 'ssm', name: 'x', maxConcurrency: '1', maxErrors: '0', tags: { Env: ['a', 'b'] }, resourceGroup: 'g' })).toEqual([
      { Key: 'tag:Env', Values: ['a', 'b'] },
      { Key: 'resource-groups:Name', Values: ['g'] },
    ]);
    const tags = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, 'v']));
    expect(() => buildTargets({ kind: 'ssm', name: 'x', maxConcurrency: '1', maxErrors: '0', tags })).toThrow(/at most 5/);
  });
});

describe('wrapScriptForSsm', () => {
  it('carries the script only as base64', () => {
    const lines = wrapScriptForSsm("echo '$(rm -rf /)'");
    expect(lines.join('\n')).not.toContain('rm -rf');
    expect(lines.join('\n')).toContain(Buffer.from("echo '$(rm -rf /)'").toString('base64'));
  });
});
