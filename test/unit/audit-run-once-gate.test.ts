// The run-once part of the merge gate over a real (file) ledger: what each earlier attempt means for a new one,
// and the claim that keeps two concurrent attempts from both running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileAuditLog, createFileLedger } from '../../src/adapters/local/file-audit.js';
import type { RunIdentity } from '../../src/ports/audit.js';
import type { CheckedRunbook } from '../../src/runbook/check.js';
import type { Step } from '../../src/runbook/model.js';
import { gateRunbook, type GateInput } from '../../src/usecases/merge-gate.js';
import { FakeGitHub, fixedClock } from '../support/merge/fakes.js';
import { testRepoConfig } from '../support/repo-config.js';

const HEAD = 'h'.repeat(40);
const started = { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' };
let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsgate-run-once-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const config = testRepoConfig({ targets: { local: { kind: 'local', name: 'local' } } });

/** Everything the gate needs for an approved runbook in its window; each call gets its own digest and ledger. */
function gateFor(runId?: string): { input: GateInput; id: (runId: string) => RunIdentity; ledgerDir: string } {
  const digest = `sha256:${String(++n).padStart(2, '0').repeat(32)}`;
  const ledgerDir = join(dir, `ledger-${n}`);
  const step = { kind: 'shell', index: 0, name: 'one', run: 'true', timeoutSeconds: 60, continueOnError: false } as Step;
  const checked: CheckedRunbook = { runbook: { path: 'runbooks/a.yml', version: 1, title: 'A', target: 'local', steps: [step] }, text: 'x', digest, sqlStatements: new Map() };
  const github = new FakeGitHub();
  github.reviews.set(7, [{ id: 1, user: 'bob', state: 'APPROVED', commitId: HEAD, submittedAt: null }]);
  const pr = { number: 7, author: 'alice', headSha: HEAD, baseRef: 'main', mergedAt: '2026-01-01T00:00:00Z', mergeCommitSha: 'm'.repeat(40), fromFork: false, htmlUrl: 'https://github.com/acme/ops/pull/7' };
  const input: GateInput = {
    github,
    pr,
    repository: 'acme/ops',
    config,
    checked,
    reviewed: { against: 'head-commit', headSha: HEAD, digest },
    ledger: createFileLedger(ledgerDir),
    clock: fixedClock(() => new Date()),
    ...(runId ? { runId } : {}),
  };
  return { input, ledgerDir, id: (r) => ({ repository: 'acme/ops', pullRequest: 7, runbookPath: 'runbooks/a.yml', runbookDigest: digest, runId: r }) };
}

describe('the merge gate over the run ledger', () => {
  it('runs a runbook that never ran, and claims it', async () => {
    const { input } = gateFor('1-1');
    expect(await gateRunbook(input)).toMatchObject({ passed: true, ledger: { state: 'never-ran' } });
  });

  it('skips a run that completed successfully, refuses one that completed with a failure (already-ran)', async () => {
    const done = gateFor('2-1');
    const log = createFileAuditLog(join(done.ledgerDir, 'b.jsonl'));
    await log.runStarted(done.id('1-1'), started);
    await log.stepStarted({ index: 0, name: 'one', kind: 'shell', command: 'true' });
    await log.stepFinished({ index: 0, name: 'one', result: { status: 'succeeded', exitCode: 0, message: 'ok' }, durationMs: 1 });
    await log.runFinished({ outcome: 'proceed', reasonCode: 'ok', message: 'done' });
    expect(await gateRunbook(done.input)).toMatchObject({ passed: false, outcome: { decision: 'proceed', reasonCode: 'already-completed' } });

    const failed = gateFor('3-1');
    const bad = createFileAuditLog(join(failed.ledgerDir, 'c.jsonl'));
    await bad.runStarted(failed.id('1-1'), started);
    await bad.stepStarted({ index: 0, name: 'one', kind: 'shell', command: 'false' });
    await bad.stepFinished({ index: 0, name: 'one', result: { status: 'failed', exitCode: 1, message: 'exit 1' }, durationMs: 1 });
    await bad.runFinished({ outcome: 'refuse', reasonCode: 'step-failed', message: 'step 1 failed' });
    const refused = await gateRunbook(failed.input);
    expect(refused).toMatchObject({ passed: false, outcome: { decision: 'refuse', reasonCode: 'already-ran' } });
    expect(refused.passed === false && refused.outcome.message).toMatch(/ended with step-failed.*Open a new PR/);
  });

  it('lets a retry run when the earlier attempt ran nothing (prepare failed)', async () => {
    const { input, ledgerDir, id } = gateFor('4-2');
    const log = createFileAuditLog(join(ledgerDir, 'a.jsonl'));
    await input.ledger.claim(id('4-1'));
    await log.runStarted(id('4-1'), started);
    await log.runFinished({ outcome: 'error', reasonCode: 'executor-unavailable', message: 'no instances' });
    expect(await gateRunbook(input)).toMatchObject({ passed: true, ledger: { state: 'never-ran', reasonCode: 'executor-unavailable', stepsStarted: 0 } });
  });

  it('of two attempts at the same time, one runs and the other is refused with already-running', async () => {
    const first = gateFor('5-1');
    const second = { ...first.input, runId: '6-1' };
    const [a, b] = await Promise.all([gateRunbook(first.input), gateRunbook(second)]);
    const outcomes = [a, b].map((g) => (g.passed ? 'passed' : g.outcome.reasonCode)).sort();
    expect(outcomes).toEqual(['already-running', 'passed']);
    const lost = [a, b].find((g) => !g.passed)!;
    expect(!lost.passed && lost.outcome.message).toMatch(/is being run by another attempt .* run [56]-1/);
  });

  it('claims nothing when no run id is given (a merge-queue check that will not run)', async () => {
    const { input } = gateFor();
    expect(await gateRunbook(input)).toMatchObject({ passed: true });
    expect(await gateRunbook({ ...input, runId: 'later-1' })).toMatchObject({ passed: true }); // the slot was still free
  });
});
