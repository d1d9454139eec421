// The commit status the PR phase sets (issue 8): pending with who is still needed, success when approved or
// when no runbook changed, failure on invalid input; descriptions fit GitHub's 140 characters.
import { describe, expect, it } from 'vitest';
import { statusFor } from '../../src/usecases/pr-phase.js';
import type { Plan, RunbookPlan } from '../../src/plan/plan.js';
import { proceed, refuse } from '../../src/run/outcome.js';

const runbook = (path: string, approved: boolean, summary: string): RunbookPlan => ({ path, status: 'valid', steps: [], diagnostics: [], approval: { approved, summary } });
const plan = (...runbooks: RunbookPlan[]): Plan => ({ headSha: 'a'.repeat(40), runbooks, configDiagnostics: [], configPath: '.github/opsgate.yml' });
const ok = proceed('ok', 'planned');

describe('statusFor', () => {
  it('is pending with who is still needed', () => {
    expect(statusFor(plan(runbook('runbooks/a.yml', false, '1 of 2: needs one more from @acme/dba')), ok)).toEqual({ state: 'pending', description: 'needs one more from @acme/dba' });
  });

  it('turns success once every runbook is approved', () => {
    const s = statusFor(plan(runbook('runbooks/a.yml', true, '2 of 2 approvals: carol, dave')), ok);
    expect(s).toEqual({ state: 'success', description: 'approved: 2 of 2 approvals: carol, dave' });
  });

  it('says how many other runbooks wait, within 140 characters', () => {
    const long = `1 of 2: needs one more from ${'@acme/a-very-long-team-name '.repeat(8)}`;
    const s = statusFor(plan(runbook('a', false, long), runbook('b', false, long), runbook('c', true, 'x')), ok);
    expect(s.state).toBe('pending');
    expect(s.description.length).toBeLessThanOrEqual(140);
  });

  it('is success "no runbooks changed" when none changed', () => {
    expect(statusFor(plan(), proceed('no-runbooks', 'none'))).toEqual({ state: 'success', description: 'no runbooks changed' });
  });

  it('is failure on an invalid runbook', () => {
    expect(statusFor(plan(), refuse('invalid-runbook', '1 runbook(s) have errors: runbooks/a.yml.'))).toEqual({ state: 'failure', description: '1 runbook(s) have errors: runbooks/a.yml.' });
  });
});
