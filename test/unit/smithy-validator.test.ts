import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModelPattern, loadServiceModel, validateInput } from '../support/smithy-validator.js';

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

describe('smithy-validator with patterns written for Java engines', () => {
  it('runs (?i) inline flags as a case-insensitive pattern (AccountId: "all" or 12 digits)', () => {
    const request = (ids: string[]) => ({ Name: 'opsgate-doc', PermissionType: 'Share', AccountIdsToAdd: ids });
    expect(validateInput(ssm, 'ModifyDocumentPermission', request(['All', '123456789012']))).toEqual([]);
    expect(validateInput(ssm, 'ModifyDocumentPermission', request(['12345'])).join()).toMatch(/AccountIdsToAdd\[0\].*does not match/);
  });
  it('accepts identity escapes such as \\- and \\: that the u flag refuses (DocumentDisplayName)', () => {
    const request = (DisplayName: string) => ({ Content: '{}', Name: 'opsgate-doc', DisplayName });
    expect(validateInput(ssm, 'CreateDocument', request('Restart: api-1/blue'))).toEqual([]);
    expect(validateInput(ssm, 'CreateDocument', request('no $ here')).join()).toMatch(/DisplayName.*does not match/);
  });
  it('reports a pattern JavaScript cannot compile as a violation instead of throwing', () => {
    expect(typeof compileModelPattern('[z-a]')).toBe('string');
    const dir = mkdtempSync(join(tmpdir(), 'smithy-'));
    const path = join(dir, 'model.json');
    writeFileSync(path, JSON.stringify({
      smithy: '2.0',
      shapes: {
        'x#Svc': { type: 'service', operations: [{ target: 'x#Op' }] },
        'x#Op': { type: 'operation', input: { target: 'x#In' } },
        'x#In': { type: 'structure', members: { Name: { target: 'x#Name' } } },
        'x#Name': { type: 'string', traits: { 'smithy.api#pattern': '[z-a]' } },
      },
    }));
    const model = loadServiceModel(path);
    expect(validateInput(model, 'Op', { Name: 'x' }).join()).toMatch(/Name: model pattern .* cannot be checked/);
  });
});
