// The merge-phase use case over in-memory ports: which PR, which runbooks, each gate in order, run-once, and
// that a refusal runs nothing. The loaders are replaced by JSON stand-ins (they are tested on their own);
// the digest is the real one.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runbookDigest } from '../../src/plan/digest.js';
import type { RepoConfig, Runbook } from '../../src/runbook/model.js';
import { runMergePhase, type MergePhaseDeps } from '../../src/usecases/merge-phase.js';
import type { MergeTrigger } from '../../src/usecases/merge-trigger.js';
import { createExecutorFactory } from '../../src/adapters/executor-factory.js';
import { FakeAudit, FakeExecutor, FakeGitHub, RecordingReporter, fixedClock } from '../support/merge/fakes.js';

vi.mock('../../src/config/load-repo-config.js', () => ({
  loadRepoConfig: (source: { path: string; text: string }) => ({ value: { ...JSON.parse(source.text), path: source.path }, diagnostics: [], sourceMap: new Map() }),
}));
vi.mock('../../src/runbook/check.js', async () => {
  const { runbookDigest: digestOf } = await import('../../src/plan/digest.js');
  return {
    checkRunbook: async (source: { path: string; text: string }, config: RepoConfig) => {
      const raw = JSON.parse(source.text) as Runbook & { invalid?: boolean };
      if (raw.invalid) {
        const span = { start: { line: 3, column: 5 }, end: { line: 3, column: 9 } };
        return { file: source.path, diagnostics: [{ file: source.path, span, severity: 'error', code: 'unknown-key', message: 'unknown key `timout`', fix: 'did you mean `timeout`?' }] };
      }
      const runbook = { ...raw, path: source.path };
      return { file: source.path, diagnostics: [], checked: { runbook, text: source.text, digest: digestOf(source.text, runbook, config), sqlStatements: new Map() } };
    },
  };
});

const REPO = 'acme/ops';
const HEAD = 'a'.repeat(40);
const MERGE = 'm'.repeat(40);
const config: RepoConfig = {
  path: '.github/opsgate.yml',
  version: 1,
  audit: { logGroup: '/opsgate/audit', region: 'eu-west-1' },
  targets: { local: { kind: 'local', name: 'local' }, prod: { kind: 'ssm', name: 'prod', maxConcurrency: '1', maxErrors: '0', instanceIds: ['i-1'] } },
  databases: {},
  policy: { approvals: { required: 1, from: [], allowStale: false }, denyCommands: [], sqlRules: { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'error', truncate: 'error', ddl: 'warning' }, redact: [] },
};
const configText = JSON.stringify(config);

function runbookText(name: string, extra: Partial<Runbook> = {}, steps = [`echo ${name}`]): string {
  return JSON.stringify({
    version: 1,
    title: `Runbook ${name}`,
    target: 'local',
    steps: steps.map((run, index) => ({ kind: 'shell', name: `step ${index + 1}`, index, run, timeoutSeconds: 60, continueOnError: false })),
    ...extra,
  });
}

let github: FakeGitHub;
let audit: FakeAudit;
let executor: FakeExecutor;
let reporter: RecordingReporter;
let now: Date;

function deps(overrides: Partial<MergePhaseDeps> = {}): MergePhaseDeps {
  return {
    github,
    repository: REPO,
    configPath: '.github/opsgate.yml',
    runbooksGlob: 'runbooks/**/*.{yml,yaml}',
    auditSinks: (a) => {
      if (!a) throw new Error('.github/opsgate.yml has no "audit" section.');
      return { ledger: audit.ledger, open: audit.open };
    },
    executors: createExecutorFactory({ local: () => executor }),
    secretValues: ['hunter2'],
    clock: fixedClock(() => now),
    signal: new AbortController().signal,
    reporter,
    runId: '1000-1',
    ...overrides,
  };
}

/** PR 12, merged as MERGE, changing the given runbooks; approved by bob; the plan comment shows their digests. */
function seedMergedPr(runbooks: Record<string, string>, opts: { approvals?: readonly string[]; planDigests?: Record<string, string> | null } = {}) {
  github.pulls.set(12, { number: 12, author: 'alice', headSha: HEAD, baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: MERGE, fromFork: false, htmlUrl: 'https://github.com/acme/ops/pull/12' });
  github.prsByCommit.set(MERGE, [12]);
  github.files.set(12, [...Object.keys(runbooks).map((path) => ({ path, status: 'added' as const })), { path: 'README.md', status: 'modified' as const }]);
  github.setFile('.github/opsgate.yml', MERGE, configText);
  for (const [path, text] of Object.entries(runbooks)) github.setFile(path, MERGE, text);
  github.reviews.set(12, (opts.approvals ?? ['bob']).map((user, i) => ({ id: i + 1, user, state: 'APPROVED' as const, commitId: HEAD, submittedAt: null })));
  if (opts.planDigests !== null) {
    const valid = Object.entries(runbooks).filter(([, t]) => !t.includes('invalid'));
    const digests = opts.planDigests ?? Object.fromEntries(valid.map(([p, t]) => [p, digestOfText(p, t)]));
    const lines = Object.entries(digests).map(([p, d]) => `<!-- opsgate:digest path=${p} ${d} head=${HEAD} -->`);
    void github.upsertStickyComment(12, '<!-- opsgate:plan -->', ['<!-- opsgate:plan -->', '## Plan', ...lines].join('\n'));
  }
}

function digestOfText(path: string, text: string): string {
  return runbookDigest(text, { ...(JSON.parse(text) as Runbook), path }, config);
}

const push = (over: Partial<Extract<MergeTrigger, { kind: 'push' }>> = {}): MergeTrigger => ({ kind: 'push', sha: MERGE, branch: 'main', defaultBranch: 'main', changedPaths: ['runbooks/a.yml'], forced: false, commitIds: [MERGE], ...over });

beforeEach(() => {
  github = new FakeGitHub();
  audit = new FakeAudit();
  executor = new FakeExecutor();
  reporter = new RecordingReporter();
  now = new Date('2026-11-22T12:00:00Z');
});

describe('runMergePhase', () => {
  it('runs an approved runbook at the merge commit and reports each step', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a', {}, ['echo one', 'echo hunter2']) });
    const reported: number[] = [];
    const report = await runMergePhase(push(), deps({ onPullRequestReport: async (r) => void reported.push(r.number) }));
    expect(report.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(executor.ran).toEqual(['echo one', 'echo hunter2']);
    expect(reported).toEqual([12]);
    const rb = report.pullRequests[0]!.runbooks[0]!;
    expect(rb).toMatchObject({ path: 'runbooks/a.yml', approvers: ['bob'], approvalSummary: '1 of 1 approvals: bob', audit: audit.location });
    expect(rb.steps!.map((s) => [s.status, s.exitCode, s.outputTail])).toEqual([
      ['succeeded', 0, ['ran step 1']],
      ['succeeded', 0, ['ran step 2']],
    ]);
    expect(audit.events).toContain('runbooks/a.yml:step.started:1:echo ***');
    expect(audit.events.at(-1)).toBe('runbooks/a.yml:run.finished:ok');
  });

  it('refuses a direct push that changes runbooks, and runs nothing', async () => {
    const report = await runMergePhase(push({ changedPaths: ['runbooks/a.yml', 'README.md'] }), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'no-reviewed-pull-request' });
    expect(report.outcome.message).toMatch(/does not belong to a pull request merged into "main".*runbooks\/a\.yml/);
    expect(executor.ran).toEqual([]);
    const forced = await runMergePhase(push({ forced: true }), deps());
    expect(forced.outcome.message).toMatch(/a force push/);
  });

  it('has nothing to do for a push without a PR that changes no runbooks, or a PR without runbooks', async () => {
    expect((await runMergePhase(push({ changedPaths: ['README.md'] }), deps())).outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks' });
    seedMergedPr({});
    expect((await runMergePhase(push(), deps())).outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks' });
  });

  it('ignores PRs merged into another branch and pushes to other branches', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    github.pulls.set(12, { ...github.pulls.get(12)!, baseRef: 'release' });
    expect((await runMergePhase(push(), deps())).outcome.reasonCode).toBe('no-reviewed-pull-request');
    expect((await runMergePhase(push({ branch: 'feature' }), deps())).outcome.message).toMatch(/not the default branch/);
    expect(executor.ran).toEqual([]);
  });

  it.each([
    ['not approved', { approvals: [] }, 'not-approved'],
    ['self-approved only', { approvals: ['alice'] }, 'self-approval'],
    ['no plan comment', { planDigests: null }, 'digest-mismatch'],
    ['plan showed another digest', { planDigests: { 'runbooks/a.yml': `sha256:${'0'.repeat(64)}` } }, 'digest-mismatch'],
  ] as const)('refuses when %s, and runs nothing', async (_name, opts, code) => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') }, opts);
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: code });
    expect(executor.ran).toEqual([]);
    expect(audit.events).toEqual([]);
  });

  it('refuses outside the window, before and after', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a', { window: { notBefore: '2026-11-22T20:00:00Z', notAfter: '2026-11-22T22:00:00Z' } }) });
    expect((await runMergePhase(push(), deps())).outcome).toMatchObject({ reasonCode: 'window-not-open', message: expect.stringMatching(/opens at 2026-11-22 20:00 UTC.*workflow_dispatch with input pull-request=12/) });
    now = new Date('2026-11-23T00:00:00Z');
    expect((await runMergePhase(push(), deps())).outcome.reasonCode).toBe('window-closed');
    expect(executor.ran).toEqual([]);
    now = new Date('2026-11-22T21:00:00Z');
    expect((await runMergePhase(push(), deps())).outcome.reasonCode).toBe('ok');
  });

  it('skips a runbook that already completed: a re-run never executes a step twice', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    await runMergePhase(push(), deps());
    const again = await runMergePhase(push(), deps({ runId: '1000-2' }));
    expect(again.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'already-completed' });
    expect(again.outcome.message).toMatch(/already ran .*run 1000-1/);
    expect(executor.ran).toEqual(['echo a']);
  });

  it('refuses a runbook that started and never finished, naming the step in flight', async () => {
    const text = runbookText('a', {}, ['echo 1', 'sleep 100']);
    seedMergedPr({ 'runbooks/a.yml': text });
    // What a process killed mid-step leaves in the audit log: run.started and step 2 started, nothing after.
    const identity = { repository: REPO, pullRequest: 12, runbookPath: 'runbooks/a.yml', runbookDigest: digestOfText('runbooks/a.yml', text), runId: '999-1' };
    audit.records.push({ identity, inFlight: { index: 1, name: 'step 2' } });
    const next = await runMergePhase(push(), deps({ runId: '1000-2' }));
    expect(next.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'interrupted-earlier' });
    expect(next.outcome.message).toMatch(/run 999-1\) and never finished: step 2 "step 2" was in flight.*new PR/);
    expect(executor.ran).toEqual([]);
  });

  it('fails closed when the ledger or the audit destination cannot be used', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    audit.ledgerFails = true;
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'audit-unavailable' });
    expect(report.outcome.message).toMatch(/AccessDenied/);
    github.setFile('.github/opsgate.yml', MERGE, JSON.stringify({ ...config, audit: undefined }));
    expect((await runMergePhase(push(), deps())).outcome.reasonCode).toBe('audit-unavailable');
    expect(executor.ran).toEqual([]);
  });

  it('runs nothing of a PR where any runbook is invalid', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a'), 'runbooks/b.yml': JSON.stringify({ invalid: true }) });
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'invalid-runbook' });
    expect(report.outcome.message).toMatch(/runbooks\/b\.yml:3:5: error: unknown key `timout` Fix: did you mean `timeout`\?/);
    expect(report.pullRequests[0]!.runbooks.map((r) => r.outcome.reasonCode)).toEqual(['invalid-runbook', 'invalid-runbook']);
    expect(reporter.lines).toContain('annotation: unknown key `timout`');
    expect(executor.ran).toEqual([]);
  });

  it('runs several runbooks in path order and stops the later ones after a failure', async () => {
    seedMergedPr({ 'runbooks/c.yml': runbookText('c'), 'runbooks/a.yml': runbookText('a', {}, ['exit 1', 'echo never']), 'runbooks/b.yml': runbookText('b') });
    const report = await runMergePhase(push(), deps());
    expect(report.pullRequests[0]!.runbooks.map((r) => [r.path, r.outcome.reasonCode])).toEqual([
      ['runbooks/a.yml', 'step-failed'],
      ['runbooks/b.yml', 'step-failed'],
      ['runbooks/c.yml', 'step-failed'],
    ]);
    expect(report.pullRequests[0]!.runbooks[1]!.outcome.message).toMatch(/did not run: runbooks\/a\.yml before it in this PR ended with step-failed/);
    expect(report.pullRequests[0]!.runbooks[0]!.steps!.map((s) => s.status)).toEqual(['failed', 'not-run']);
    expect(executor.ran).toEqual(['exit 1']);
  });

  it('checks the gates of a merge-queue PR without running it', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    github.setFile('.github/opsgate.yml', 'q'.repeat(40), configText);
    github.setFile('runbooks/a.yml', 'q'.repeat(40), runbookText('a'));
    const report = await runMergePhase({ kind: 'merge-group', sha: 'q'.repeat(40), pullRequest: 12, defaultBranch: 'main' }, deps());
    expect(report.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok', message: expect.stringMatching(/runs after the merge queue merges #12/) });
    expect(executor.ran).toEqual([]);
  });

  it('re-checks a merged PR named by workflow_dispatch, and refuses one that is not merged', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    expect((await runMergePhase({ kind: 'recheck', sha: 'z'.repeat(40), pullRequest: 12, defaultBranch: 'main', event: 'workflow_dispatch' }, deps())).outcome.reasonCode).toBe('ok');
    github.pulls.set(13, { ...github.pulls.get(12)!, number: 13, mergedAt: null });
    const open = await runMergePhase({ kind: 'recheck', sha: 'z'.repeat(40), pullRequest: 13, defaultBranch: 'main', event: 'workflow_dispatch' }, deps());
    expect(open.outcome).toMatchObject({ reasonCode: 'no-reviewed-pull-request', message: expect.stringMatching(/#13 is not merged/) });
  });

  it('reports an executor that is not available for the target kind', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a', { target: 'prod' }) });
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'executor-unavailable', message: expect.stringMatching(/kind "ssm"/) });
  });

  it('turns a GitHub outage into an error (not a refusal) with nothing run', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    github.failReads = true;
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'error', reasonCode: 'github-unavailable', message: expect.stringMatching(/HTTP 502.*|nothing ran/) });
    expect(executor.ran).toEqual([]);
  });
});

describe('runMergePhase on cancellation', () => {
  it('stops the step in flight, records the cancellation, and starts no later runbook', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a', {}, ['echo 1', 'sleep 100', 'echo never']), 'runbooks/b.yml': runbookText('b') });
    const controller = new AbortController();
    void executor.waiting.then(() => controller.abort(new Error('cancelled (SIGINT)')));
    const report = await runMergePhase(push(), deps({ signal: controller.signal }));
    expect(report.cancelled).toBe(true);
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'cancelled' });
    const [a, b] = report.pullRequests[0]!.runbooks;
    expect(a!.steps!.map((s) => s.status)).toEqual(['succeeded', 'cancelled', 'not-run']);
    expect(b!.outcome).toMatchObject({ reasonCode: 'cancelled', message: expect.stringMatching(/cancelled before it started/) });
    expect(executor.ran).toEqual(['echo 1', 'sleep 100']);
    expect(audit.events.slice(-2)).toEqual(['runbooks/a.yml:step.finished:1:cancelled', 'runbooks/a.yml:run.finished:cancelled']);
    // A cancelled run is never resumed: the next attempt sees it as interrupted.
    const next = await runMergePhase(push(), deps({ runId: '1000-2' }));
    expect(next.outcome.reasonCode).toBe('interrupted-earlier');
  });
});

describe('a push with several merges (merge queue, fast-forward)', () => {
  it('runs every PR whose merge commit was pushed, in merge order, each with its own result', async () => {
    seedMergedPr({ 'runbooks/a.yml': runbookText('a') });
    const earlier = 'e'.repeat(40);
    github.pulls.set(9, { ...github.pulls.get(12)!, number: 9, mergeCommitSha: earlier, headSha: 'b'.repeat(40) });
    github.prsByCommit.set(earlier, [9]);
    github.prsByCommit.set('f'.repeat(40), [12, 3]); // a feature commit of #12 that also appears in old #3
    github.pulls.set(3, { ...github.pulls.get(12)!, number: 3, mergeCommitSha: '3'.repeat(40) });
    github.files.set(9, [{ path: 'runbooks/nine.yml', status: 'added' }]);
    const nine = runbookText('nine');
    github.setFile('runbooks/nine.yml', earlier, nine);
    github.setFile('.github/opsgate.yml', earlier, configText);
    github.reviews.set(9, [{ id: 90, user: 'bob', state: 'APPROVED', commitId: 'b'.repeat(40), submittedAt: null }]);
    await github.upsertStickyComment(9, '<!-- opsgate:plan -->', `<!-- opsgate:digest path=runbooks/nine.yml ${digestOfText('runbooks/nine.yml', nine)} head=${'b'.repeat(40)} -->`);
    const report = await runMergePhase(push({ commitIds: [earlier, 'f'.repeat(40), MERGE] }), deps());
    expect(report.pullRequests.map((p) => [p.number, p.outcome.reasonCode])).toEqual([[9, 'ok'], [12, 'ok']]);
    expect(executor.ran).toEqual(['echo nine', 'echo a']);
  });
});

describe('re-checks without a PR to look at', () => {
  it('have nothing to do (a schedule must not fail every time it finds no merged PR)', async () => {
    const report = await runMergePhase({ kind: 'recheck', sha: 'z'.repeat(40), pullRequest: null, defaultBranch: 'main', event: 'schedule' }, deps());
    expect(report.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks', message: expect.stringMatching(/"pull-request" input/) });
  });
});
