import { describe, expect, it } from 'vitest';
import { loadServiceModel, validateInput } from '../support/smithy-validator.js';

const ssm = loadServiceModel('/work/shared/aws-models/ssm-2014-11-06.json');

describe('smithy-validator against the SSM model', () => {
  it('accepts a valid SendCommand', () => {
    expect(
      validateInput(ssm, 'SendCommand', {
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-0123456789abcdef0'],
        Parameters: { commands: ['echo hi'] },
        TimeoutSeconds: 60,
        Comment: 'x',
      }),
    ).toEqual([]);
  });
  it('reports missing required, bad pattern, range, length, type and unknown members', () => {
    const errors = validateInput(ssm, 'SendCommand', {
      InstanceIds: ['bogus'],
      TimeoutSeconds: 5,
      Comment: 'c'.repeat(101),
      MaxConcurrency: 10,
      Surprise: true,
    });
    expect(errors.join('\n')).toMatch(/DocumentName: required/);
    expect(errors.join('\n')).toMatch(/InstanceIds\[0\].*does not match/);
    expect(errors.join('\n')).toMatch(/TimeoutSeconds: 5 < min 30/);
    expect(errors.join('\n')).toMatch(/Comment: length 101 > max 100/);
    expect(errors.join('\n')).toMatch(/MaxConcurrency: expected string/);
    expect(errors.join('\n')).toMatch(/Surprise: unknown member/);
  });
  it('checks list lengths and enums', () => {
    const ids = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    expect(validateInput(ssm, 'SendCommand', { DocumentName: 'AWS-RunShellScript', InstanceIds: ids })).toEqual([
      '$.InstanceIds: length 51 > max 50',
    ]);
    expect(
      validateInput(ssm, 'ListCommandInvocations', { Filters: [{ key: 'Nope', value: 'x' }] }).join(),
    ).toMatch(/is not one of/);
  });
  it('rejects unknown operations', () => {
    expect(validateInput(ssm, 'Frobnicate', {})).toEqual(['unknown operation Frobnicate']);
  });
});
