// The commit status the PR phase sets (issue 8): pending with who is still needed, success when approved or
// when no runbook changed, failure on invalid input; descriptions fit GitHub's 140 characters.
import { describe, expect, it } from 'vitest';
import { statusFor } from '../../src/usecases/pr-phase.js';
import type { Plan, RunbookPlan } from '../../src/plan/plan.js';
import { proceed, refuse, unexpected } from '../../src/run/outcome.js';

const runbook = (path: string, approved: boolean, summary: string, approvers: string[] = []): RunbookPlan => ({ path, status: 'valid', steps: [], diagnostics: [], approval: { approved, summary, approvers } });
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

  it('counts the other waiting runbooks in the right number, and keeps the count when clipping', () => {
    const need = '1 of 2: needs one more from @acme/dba';
    expect(statusFor(plan(runbook('a', false, need), runbook('b', false, need)), ok).description).toBe('needs one more from @acme/dba (+1 more runbook waiting)');
    expect(statusFor(plan(runbook('a', false, need), runbook('b', false, need), runbook('c', false, need)), ok).description).toMatch(/\(\+2 more runbooks waiting\)$/);
    const long = `1 of 2: needs one more from ${'@acme/a-very-long-team-name or '.repeat(8)}`;
    const clipped = statusFor(plan(runbook('a', false, long), runbook('b', false, long)), ok).description;
    expect(clipped).toMatch(/… \(\+1 more runbook waiting\)$/);
    expect(clipped.length).toBeLessThanOrEqual(140);
  });

  it('says "approved" once for several runbooks, naming each approver once', () => {
    const s = statusFor(plan(runbook('a', true, '2 of 2 approvals: carol, dave', ['carol', 'dave']), runbook('b', true, '1 of 1 approvals: carol', ['carol'])), ok);
    expect(s).toEqual({ state: 'success', description: 'approved: all 2 runbooks (carol, dave)' });
  });

  it('is error, not failure, when opsgate itself could not decide', () => {
    expect(statusFor(plan(), unexpected('github-unavailable', 'GitHub API error'))).toEqual({ state: 'error', description: 'GitHub API error' });
  });

  it('is success "no runbooks changed" when none changed', () => {
    expect(statusFor(plan(), proceed('no-runbooks', 'none'))).toEqual({ state: 'success', description: 'no runbooks changed' });
  });

  it('is failure on an invalid runbook', () => {
    expect(statusFor(plan(), refuse('invalid-runbook', '1 runbook(s) have errors: runbooks/a.yml.'))).toEqual({ state: 'failure', description: '1 runbook(s) have errors: runbooks/a.yml.' });
  });
});
