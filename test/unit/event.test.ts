import { describe, expect, it } from 'vitest';
import { phaseFor } from '../../src/usecases/event.js';

describe('phaseFor', () => {
  it.each([
    ['pull_request', 'plan'],
    ['pull_request_review', 'plan'],
    ['push', 'run'],
    ['merge_group', 'run'],
    ['workflow_dispatch', 'run'],
  ] as const)('%s -> %s', (event, phase) => {
    expect(phaseFor(event, 'auto')).toBe(phase);
  });

  it('lets the mode input force the phase', () => {
    expect(phaseFor('pull_request', 'run')).toBe('run');
    expect(phaseFor('issue_comment', 'plan')).toBe('plan');
  });

  it('refuses an event it does not know, naming the fix', () => {
    expect(() => phaseFor('pull_request_target', 'auto')).toThrow(/set the input "mode"/);
  });
});
