import { describe, expect, it } from 'vitest';
import { phaseFor } from '../../src/usecases/event.js';
import { RefusalError } from '../../src/run/outcome.js';
import { outcomeOfThrown } from '../../src/main.js';

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
    expect(() => phaseFor('issue_comment', 'auto')).toThrow(RefusalError);
  });

  it("reports such a refusal as the user's to fix (refuse, with its code), and anything else thrown as an internal error", () => {
    let thrown: unknown;
    try {
      phaseFor('issue_comment', 'auto');
    } catch (error) {
      thrown = error;
    }
    expect(outcomeOfThrown(thrown)).toMatchObject({ decision: 'refuse', reasonCode: 'invalid-config', message: expect.stringMatching(/"issue_comment" event/) });
    const bug = Object.assign(new TypeError('x is undefined'), { stack: undefined });
    expect(outcomeOfThrown(bug)).toMatchObject({ decision: 'error', reasonCode: 'internal-error' });
  });
});
