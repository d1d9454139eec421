// The merge-phase use case over in-memory ports and the real loaders (YAML config and runbooks, the real
// checker and digest): which PR, which runbooks, each gate in order, run-once, and that a refusal runs nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { runMergePhase, type MergePhaseDeps } from '../../src/usecases/merge-phase.js';
import type { MergeTrigger } from '../../src/usecases/merge-trigger.js';
import type { RunbookReport } from '../../src/usecases/merge-report.js';
import { createExecutorFactory } from '../../src/adapters/executor-factory.js';
import { RefusalError } from '../../src/run/outcome.js';
import { TooManyFilesError } from '../../src/ports/github.js';
import { FakeAudit, FakeExecutor, FakeGitHub, RecordingReporter, fixedClock } from '../support/merge/fakes.js';
import { CONFIG_PATH, configYaml, digestOf, planCommentBody, runbookYaml } from '../support/merge/yaml-fixtures.js';

const REPO = 'acme/ops';
const HEAD = 'a'.repeat(40);
const MERGE = 'c'.repeat(40);
const SSM_TARGET = { prod: { ssm: { 'instance-ids': ['i-0123456789abcdef0'] } } };
const configText = configYaml({ targets: SSM_TARGET });

let github: FakeGitHub;
let audit: FakeAudit;
let executor: FakeExecutor;
let reporter: RecordingReporter;
let now: Date;

function deps(overrides: Partial<MergePhaseDeps> = {}): MergePhaseDeps {
  return {
    github,
    repository: REPO,
    configPath: CONFIG_PATH,
    runbooksGlob: 'runbooks/**/*.{yml,yaml}',
    auditSinks: (a) => {
      if (!a) throw new RefusalError('invalid-config', `${CONFIG_PATH} has no "audit" section.`);
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

interface SeedOptions {
  approvals?: readonly string[];
  /** Digests the plan comment shows; null: no plan comment (a fork PR); default: the real ones. */
  planDigests?: Record<string, string> | null;
  /** Files at the approved head; default: the same as at merge. */
  atHead?: Record<string, string>;
  fork?: boolean;
}

/** PR 12, merged as MERGE, changing the given runbooks; approved by bob; the plan comment shows their digests. */
async function seedMergedPr(runbooks: Record<string, string>, opts: SeedOptions = {}) {
  github.pulls.set(12, { number: 12, author: 'alice', headSha: HEAD, baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: MERGE, fromFork: opts.fork ?? false, htmlUrl: 'https://github.com/acme/ops/pull/12' });
  github.prsByCommit.set(MERGE, [12]);
  github.files.set(12, [...Object.keys(runbooks).map((path) => ({ path, status: 'added' as const })), { path: 'README.md', status: 'modified' as const }]);
  for (const [path, text] of Object.entries({ [CONFIG_PATH]: configText, ...runbooks })) github.setFile(path, MERGE, text);
  for (const [path, text] of Object.entries(opts.atHead ?? { [CONFIG_PATH]: configText, ...runbooks })) github.setFile(path, HEAD, text);
  github.reviews.set(12, (opts.approvals ?? ['bob']).map((user, i) => ({ id: i + 1, user, state: 'APPROVED' as const, commitId: HEAD, submittedAt: null })));
  if (opts.planDigests === null) return;
  const digests = opts.planDigests ?? (await realDigests(runbooks));
  await github.upsertStickyComment(12, '<!-- opsgate:plan -->', planCommentBody(digests, HEAD));
}

async function realDigests(runbooks: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [path, text] of Object.entries(runbooks)) if (!text.includes('timout')) out[path] = await digestOf(path, text, configText);
  return out;
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
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo one', 'echo hunter2']) });
    const reported: number[] = [];
    const report = await runMergePhase(push(), deps({ onPullRequestReport: async (r) => void reported.push(r.number) }));
    expect(report.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(executor.ran).toEqual(['echo one', 'echo hunter2']);
    expect(reported).toEqual([12]);
    const rb = report.pullRequests[0]!.runbooks[0]!;
    expect(rb).toMatchObject({ path: 'runbooks/a.yml', approvers: ['bob'], approvalSummary: '1 of 1 approvals: bob', audit: audit.location, digestCheck: { against: 'plan-comment', headSha: HEAD } });
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

  it("refuses a force push of an old PR's head: the PR contains the commit, but its merge is not what was pushed", async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    github.prsByCommit.set(HEAD, [12]); // GitHub lists the merged PR for any commit it contains
    const report = await runMergePhase(push({ sha: HEAD, commitIds: [HEAD], forced: true }), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'no-reviewed-pull-request', message: expect.stringMatching(/a force push/) });
    expect(executor.ran).toEqual([]);
  });

  it('runs two runbook files with the same content in one PR, each once: the path is part of the run-once slot', async () => {
    const text = runbookYaml(['echo same']);
    await seedMergedPr({ 'runbooks/a.yml': text, 'runbooks/b.yml': text });
    const report = await runMergePhase(push({ changedPaths: ['runbooks/a.yml', 'runbooks/b.yml'] }), deps());
    expect(report.pullRequests[0]!.runbooks.map((r) => [r.path, r.outcome.reasonCode])).toEqual([
      ['runbooks/a.yml', 'ok'],
      ['runbooks/b.yml', 'ok'],
    ]);
    expect(executor.ran).toHaveLength(2);
    const again = await runMergePhase(push({ changedPaths: ['runbooks/a.yml', 'runbooks/b.yml'] }), deps({ runId: '1000-2' }));
    expect(again.pullRequests[0]!.runbooks.map((r) => r.outcome.reasonCode)).toEqual(['already-completed', 'already-completed']);
    expect(executor.ran).toHaveLength(2);
  });

  it('has nothing to do for a push without a PR that changes no runbooks, or a PR without runbooks', async () => {
    expect((await runMergePhase(push({ changedPaths: ['README.md'] }), deps())).outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks' });
    await seedMergedPr({});
    expect((await runMergePhase(push(), deps())).outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks' });
  });

  it('ignores PRs merged into another branch and pushes to other branches', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    github.pulls.set(12, { ...github.pulls.get(12)!, baseRef: 'release' });
    expect((await runMergePhase(push(), deps())).outcome.reasonCode).toBe('no-reviewed-pull-request');
    expect((await runMergePhase(push({ branch: 'feature' }), deps())).outcome.message).toMatch(/not the default branch/);
    expect(executor.ran).toEqual([]);
  });

  it.each([
    ['not approved', { approvals: [] }, 'not-approved'],
    ['self-approved only', { approvals: ['alice'] }, 'self-approval'],
    ['the plan comment shows another digest', { planDigests: { 'runbooks/a.yml': `sha256:${'0'.repeat(64)}` } }, 'digest-mismatch'],
    ['the plan comment does not list the runbook', { planDigests: { 'runbooks/other.yml': `sha256:${'0'.repeat(64)}` } }, 'digest-mismatch'],
  ] as const)('refuses when %s, and runs nothing', async (_name, opts, code) => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) }, opts);
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: code });
    expect(executor.ran).toEqual([]);
    expect(audit.events).toEqual([]);
  });

  it('refuses outside the window, before and after, and says how to run it once the window opens', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a'], { window: { notBefore: '2026-11-22T20:00:00Z', notAfter: '2026-11-22T22:00:00Z' } }) });
    const early = (await runMergePhase(push(), deps())).outcome;
    expect(early).toMatchObject({ decision: 'refuse', reasonCode: 'window-not-open' });
    expect(early.message).toBe(
      'runbooks/a.yml: the run window opens at 2026-11-22 20:00 UTC, 8h00m from now (it is 2026-11-22 12:00 UTC), set by `window.not-before`. Nothing ran. ' +
        'When the window is open, re-run the merge-phase workflow for #12 through workflow_dispatch with the input pull-request: 12, ' +
        "or let its schedule re-check it (a schedule re-checks only the PR that made the default branch's head commit). Every gate is checked again then.",
    );
    now = new Date('2026-11-23T00:00:00Z');
    const late = (await runMergePhase(push(), deps())).outcome;
    expect(late).toMatchObject({ reasonCode: 'window-closed', message: expect.stringContaining('open a new PR whose runbook has a later `window.not-after`') });
    expect(executor.ran).toEqual([]);
    // The re-run the message describes: inside the window a workflow_dispatch re-check runs it.
    now = new Date('2026-11-22T21:00:00Z');
    const recheck = await runMergePhase({ kind: 'recheck', sha: 'z'.repeat(40), pullRequest: 12, defaultBranch: 'main', event: 'workflow_dispatch' }, deps());
    expect(recheck.outcome.reasonCode).toBe('ok');
    expect(executor.ran).toEqual(['echo a']);
  });

  it('skips a runbook that already completed: a re-run never executes a step twice', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    await runMergePhase(push(), deps());
    const again = await runMergePhase(push(), deps({ runId: '1000-2' }));
    expect(again.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'already-completed' });
    expect(again.outcome.message).toMatch(/already ran .*run 1000-1/);
    expect(executor.ran).toEqual(['echo a']);
  });

  it('refuses a runbook that started and never finished, naming the step in flight', async () => {
    const text = runbookYaml(['echo 1', 'sleep 100']);
    await seedMergedPr({ 'runbooks/a.yml': text });
    // What a process killed mid-step leaves in the audit log: run.started and step 2 started, nothing after.
    const identity = { repository: REPO, pullRequest: 12, runbookPath: 'runbooks/a.yml', runbookDigest: await digestOf('runbooks/a.yml', text, configText), runId: '999-1' };
    audit.records.push({ identity, inFlight: { index: 1, name: 'step 2' } });
    const next = await runMergePhase(push(), deps({ runId: '1000-2' }));
    expect(next.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'interrupted-earlier' });
    expect(next.outcome.message).toMatch(/run 999-1\) and never finished: step 2 "step 2" was in flight.*new PR/);
    expect(executor.ran).toEqual([]);
  });

  it('reports an unreadable ledger as an error (an outage), and a config without audit section as a refusal', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    audit.ledgerFails = true;
    const outage = await runMergePhase(push(), deps());
    expect(outage.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable' });
    expect(outage.outcome.message).toMatch(/^Cannot read the run ledger, so opsgate cannot tell whether runbooks\/a\.yml already ran; nothing ran\. AccessDeniedException/);
    audit.ledgerFails = false;
    github.setFile(CONFIG_PATH, MERGE, configYaml({ audit: null, targets: SSM_TARGET }));
    const noAudit = await runMergePhase(push(), deps());
    expect(noAudit.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'invalid-config', message: '.github/opsgate.yml has no "audit" section. Nothing ran.' });
    expect(executor.ran).toEqual([]);
  });

  it('reports an audit destination that cannot be opened as an error', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    const report = await runMergePhase(push(), deps({ auditSinks: () => { throw new Error('AccessDeniedException: logs:CreateLogStream'); } }));
    expect(report.outcome).toMatchObject({ decision: 'error', reasonCode: 'audit-unavailable', message: 'Cannot use the audit log named by the repo config: AccessDeniedException: logs:CreateLogStream Nothing ran.' });
    expect(executor.ran).toEqual([]);
  });

  it('runs nothing of a PR where any runbook is invalid', async () => {
    const invalid = 'version: 1\ntitle: B\ntarget: local\nsteps:\n  - name: b\n    run: echo b\n    timout: 1m\n';
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']), 'runbooks/b.yml': invalid });
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'invalid-runbook' });
    expect(report.outcome.message).toMatch(/^runbooks\/b\.yml:7:5: error: .*timout/);
    expect(report.pullRequests[0]!.runbooks.map((r) => r.outcome.reasonCode)).toEqual(['invalid-runbook', 'invalid-runbook']);
    expect(reporter.lines.some((l) => l.startsWith('annotation: ') && l.includes('timout'))).toBe(true);
    expect(executor.ran).toEqual([]);
  });

  it('runs several runbooks in path order and stops the later ones after a failure, with the same decision', async () => {
    await seedMergedPr({ 'runbooks/c.yml': runbookYaml(['echo c']), 'runbooks/a.yml': runbookYaml(['exit 1', 'echo never']), 'runbooks/b.yml': runbookYaml(['echo b']) });
    const report = await runMergePhase(push(), deps());
    expect(report.pullRequests[0]!.runbooks.map((r) => [r.path, r.outcome.decision, r.outcome.reasonCode])).toEqual([
      ['runbooks/a.yml', 'refuse', 'step-failed'],
      ['runbooks/b.yml', 'refuse', 'step-failed'],
      ['runbooks/c.yml', 'refuse', 'step-failed'],
    ]);
    expect(report.pullRequests[0]!.runbooks[1]!.outcome.message).toBe('runbooks/b.yml did not run: runbooks/a.yml before it in this PR ended with step-failed, and later runbooks may depend on it.');
    expect(report.pullRequests[0]!.runbooks[0]!.steps!.map((s) => s.status)).toEqual(['failed', 'not-run']);
    expect(executor.ran).toEqual(['exit 1']);
  });

  it('keeps an outage an error for the runbooks it holds back', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']), 'runbooks/b.yml': runbookYaml(['echo b']) });
    audit.ledgerFails = true;
    const report = await runMergePhase(push(), deps());
    expect(report.pullRequests[0]!.runbooks.map((r) => [r.outcome.decision, r.outcome.reasonCode])).toEqual([
      ['error', 'audit-unavailable'],
      ['error', 'audit-unavailable'],
    ]);
  });

  it('checks the gates of a merge-queue PR without running it', async () => {
    const text = runbookYaml(['echo a']);
    await seedMergedPr({ 'runbooks/a.yml': text });
    github.setFile(CONFIG_PATH, 'q'.repeat(40), configText);
    github.setFile('runbooks/a.yml', 'q'.repeat(40), text);
    const report = await runMergePhase({ kind: 'merge-group', sha: 'q'.repeat(40), pullRequest: 12, defaultBranch: 'main' }, deps());
    expect(report.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok', message: 'runbooks/a.yml: every gate passes; it runs after the merge queue merges #12.' });
    expect(executor.ran).toEqual([]);
  });

  it('re-checks a merged PR named by workflow_dispatch, and refuses one that is not merged', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    expect((await runMergePhase({ kind: 'recheck', sha: 'z'.repeat(40), pullRequest: 12, defaultBranch: 'main', event: 'workflow_dispatch' }, deps())).outcome.reasonCode).toBe('ok');
    github.pulls.set(13, { ...github.pulls.get(12)!, number: 13, mergedAt: null });
    const open = await runMergePhase({ kind: 'recheck', sha: 'z'.repeat(40), pullRequest: 13, defaultBranch: 'main', event: 'workflow_dispatch' }, deps());
    expect(open.outcome).toMatchObject({ reasonCode: 'no-reviewed-pull-request', message: expect.stringMatching(/#13 is not merged/) });
  });

  it('refuses a target kind this build cannot run as a config problem (not an outage), and tells Slack nothing started', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a'], { target: 'prod' }) });
    const told: string[] = [];
    const report = await runMergePhase(push(), deps({ notify: async (event) => void told.push(event) }));
    expect(report.outcome).toMatchObject({
      decision: 'refuse',
      reasonCode: 'invalid-config',
      message:
        'runbooks/a.yml: Target "prod" is of kind "ssm", which this build of opsgate cannot run (available: local). Point the runbook at a target of an available kind, or use an opsgate release that runs ssm. Nothing ran.',
    });
    expect(executor.ran).toEqual([]);
    expect(told).toEqual(['end']);
  });

  it('tells Slack "start" only once the executor has resolved the target', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    const told: string[] = [];
    executor.prepare = async () => {
      told.push('prepared');
      return { description: 'this machine', members: ['localhost'] };
    };
    await runMergePhase(push(), deps({ notify: async (event) => void told.push(event) }));
    expect(told).toEqual(['prepared', 'start', 'end']);
    const failing = new FakeExecutor();
    failing.prepare = async () => {
      throw new Error('no running task in service ops');
    };
    told.length = 0;
    await seedMergedPr({ 'runbooks/b.yml': runbookYaml(['echo b']) });
    const report = await runMergePhase(push({ changedPaths: ['runbooks/b.yml'] }), deps({ executors: () => failing, notify: async (event) => void told.push(event) }));
    expect(report.outcome).toMatchObject({ decision: 'error', reasonCode: 'executor-unavailable' });
    expect(told).toEqual(['end']);
  });

  it('hands each runbook the results of the ones before it, for the interrupted comment', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']), 'runbooks/b.yml': runbookYaml(['echo b']) });
    const seen: [string, string[]][] = [];
    await runMergePhase(push(), deps({ beforeRun: (_pr, report: RunbookReport, earlier) => void seen.push([report.path, earlier.map((e) => `${e.path}:${e.outcome.reasonCode}`)]) }));
    expect(seen).toEqual([
      ['runbooks/a.yml', []],
      ['runbooks/b.yml', ['runbooks/a.yml:ok']],
    ]);
  });

  it('refuses a PR with more files than GitHub lists (a refusal the PR fixes, not an outage)', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    github.filesError = new TooManyFilesError(12, 3500);
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'too-many-files', message: expect.stringMatching(/^#12 changes 3,500 files, .* Nothing ran\.$/) });
    expect(executor.ran).toEqual([]);
  });

  it('turns a GitHub outage into an error (not a refusal) with nothing run', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    github.failReads = true;
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toEqual({
      decision: 'error',
      reasonCode: 'github-unavailable',
      message: `Could not find the pull request merged by ${MERGE.slice(0, 7)} on GitHub, so nothing ran: HTTP 502 from api.github.com`,
    });
    expect(executor.ran).toEqual([]);
  });
});

describe('runMergePhase for a PR without a plan comment (fork PRs: the PR phase cannot write one)', () => {
  it('compares with the digest at the approved head commit, runs, and says which comparison it made', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) }, { planDigests: null, fork: true });
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(report.pullRequests[0]!.runbooks[0]!.digestCheck).toEqual({ against: 'head-commit', headSha: HEAD });
    expect(github.reads).toEqual(expect.arrayContaining([`${HEAD}:${CONFIG_PATH}`, `${HEAD}:runbooks/a.yml`]));
    expect(executor.ran).toEqual(['echo a']);
  });

  it('refuses when the runbook or its config at merge differs from the approved head', async () => {
    const text = runbookYaml(['echo a']);
    await seedMergedPr({ 'runbooks/a.yml': text }, { planDigests: null, fork: true, atHead: { [CONFIG_PATH]: configYaml({ targets: SSM_TARGET, required: 2 }), 'runbooks/a.yml': text } });
    const report = await runMergePhase(push(), deps({ executors: createExecutorFactory({ local: () => executor }) }));
    // Approvals first: the merge config asks for one, so the digest gate decides.
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'digest-mismatch' });
    expect(report.outcome.message).toMatch(/^runbooks\/a\.yml: content digest sha256:[0-9a-f]{12}… at merge differs from sha256:[0-9a-f]{12}… computed at the approved head aaaaaaa \(the PR has no plan comment/);
    expect(executor.ran).toEqual([]);
  });

  it('refuses when the runbook cannot be checked at the head', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) }, { planDigests: null, atHead: { [CONFIG_PATH]: configText } });
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({
      decision: 'refuse',
      reasonCode: 'digest-mismatch',
      message: 'runbooks/a.yml: the PR has no opsgate plan comment, and the digest at the approved head aaaaaaa cannot be computed: runbooks/a.yml does not exist at aaaaaaa. Nothing ran. Open a new PR so the PR phase shows reviewers its plan.',
    });
    expect(executor.ran).toEqual([]);
  });

  it('names the first problem when the runbook at the head is invalid', async () => {
    const broken = runbookYaml(['echo a']).replace('timeout:', 'timout:');
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) }, { planDigests: null, atHead: { [CONFIG_PATH]: configText, 'runbooks/a.yml': broken } });
    const report = await runMergePhase(push(), deps());
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'digest-mismatch' });
    expect(report.outcome.message).toMatch(/cannot be computed: runbooks\/a\.yml is not valid at aaaaaaa: runbooks\/a\.yml:\d+:\d+: .*timout/);
    expect(executor.ran).toEqual([]);
  });
});

describe('runMergePhase on cancellation', () => {
  it('stops the step in flight, records the cancellation, and starts no later runbook', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo 1', 'sleep 100', 'echo never']), 'runbooks/b.yml': runbookYaml(['echo b']) });
    const controller = new AbortController();
    void executor.waiting.then(() => controller.abort(new Error('cancelled (SIGINT)')));
    const report = await runMergePhase(push(), deps({ signal: controller.signal }));
    expect(report.cancelled).toBe(true);
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'cancelled' });
    const [a, b] = report.pullRequests[0]!.runbooks;
    expect(a!.steps!.map((s) => s.status)).toEqual(['succeeded', 'cancelled', 'not-run']);
    expect(b!.outcome).toEqual({ decision: 'refuse', reasonCode: 'cancelled', message: 'runbooks/b.yml did not run: the job was cancelled before it started.' });
    expect(executor.ran).toEqual(['echo 1', 'sleep 100']);
    expect(audit.events.slice(-2)).toEqual(['runbooks/a.yml:step.finished:1:cancelled', 'runbooks/a.yml:run.finished:cancelled']);
    // A cancelled run is never resumed: the next attempt runs nothing of it.
    const next = await runMergePhase(push(), deps({ runId: '1000-2' }));
    expect(next.pullRequests[0]!.runbooks[0]!.outcome.decision).not.toBe('proceed');
    expect(executor.ran).toEqual(['echo 1', 'sleep 100']);
  });
});

describe('a push with several merges (merge queue, fast-forward)', () => {
  it('runs every PR whose merge commit was pushed, in merge order, each with its own result', async () => {
    await seedMergedPr({ 'runbooks/a.yml': runbookYaml(['echo a']) });
    const earlier = 'e'.repeat(40);
    const nineHead = 'b'.repeat(40);
    github.pulls.set(9, { ...github.pulls.get(12)!, number: 9, mergeCommitSha: earlier, headSha: nineHead });
    github.prsByCommit.set(earlier, [9]);
    github.prsByCommit.set('f'.repeat(40), [12, 3]); // a feature commit of #12 that also appears in old #3
    github.pulls.set(3, { ...github.pulls.get(12)!, number: 3, mergeCommitSha: '3'.repeat(40) });
    github.files.set(9, [{ path: 'runbooks/nine.yml', status: 'added' }]);
    const nine = runbookYaml(['echo nine']);
    github.setFile('runbooks/nine.yml', earlier, nine);
    github.setFile(CONFIG_PATH, earlier, configText);
    github.reviews.set(9, [{ id: 90, user: 'bob', state: 'APPROVED', commitId: nineHead, submittedAt: null }]);
    await github.upsertStickyComment(9, '<!-- opsgate:plan -->', planCommentBody({ 'runbooks/nine.yml': await digestOf('runbooks/nine.yml', nine, configText) }, nineHead));
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
