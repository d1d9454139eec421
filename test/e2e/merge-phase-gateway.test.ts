// The merge phase over real parts where they exist in the tree: the Octokit gateway against the GitHub
// stand-in (every request checked against GitHub's OpenAPI description), the real orchestrator and the real
// local executor running bash. The runbook loaders are JSON stand-ins and the audit log is in memory until
// the runbook-format and CloudWatch slices land; the `node dist/index.js` version of this test follows then.
// Every refusal proves nothing ran: the step would have created a file.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { createLocalExecutor } from '../../src/adapters/local/local-executor.js';
import { createExecutorFactory } from '../../src/adapters/executor-factory.js';
import { runbookDigest } from '../../src/plan/digest.js';
import type { GitHubGateway } from '../../src/ports/github.js';
import type { RepoConfig, Runbook } from '../../src/runbook/model.js';
import { runMergePhase, type MergePhaseDeps } from '../../src/usecases/merge-phase.js';
import type { MergeTrigger } from '../../src/usecases/merge-trigger.js';
import { FakeAudit, RecordingReporter, fixedClock } from '../support/merge/fakes.js';

vi.mock('../../src/config/load-repo-config.js', () => ({
  loadRepoConfig: (source: { path: string; text: string }) => ({ value: { ...JSON.parse(source.text), path: source.path }, diagnostics: [], sourceMap: new Map() }),
}));
vi.mock('../../src/runbook/check.js', async () => {
  const { runbookDigest: digestOf } = await import('../../src/plan/digest.js');
  return {
    checkRunbook: async (source: { path: string; text: string }, config: RepoConfig) => {
      const runbook = { ...(JSON.parse(source.text) as Runbook), path: source.path };
      return { file: source.path, diagnostics: [], checked: { runbook, text: source.text, digest: digestOf(source.text, runbook, config), sqlStatements: new Map() } };
    },
  };
});

const TOKEN = 'ghs_merge_e2e';
const config: RepoConfig = {
  path: '.github/opsgate.yml',
  version: 1,
  audit: { logGroup: '/opsgate/audit', region: 'us-east-1' },
  targets: { here: { kind: 'local', name: 'here' } },
  databases: {},
  policy: { approvals: { required: 1, from: [], allowStale: false }, denyCommands: [], sqlRules: { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'error', truncate: 'error', ddl: 'warning' }, redact: [] },
};
const runbookText = (run: string, extra: Partial<Runbook> = {}) =>
  JSON.stringify({ version: 1, title: 'Touch', target: 'here', steps: [{ kind: 'shell', name: 'Touch', index: 0, run, timeoutSeconds: 30, continueOnError: false }], ...extra });

let gh: GitHubStandin;
let github: GitHubGateway;
let audit: FakeAudit;
const dir = mkdtempSync(join(tmpdir(), 'opsgate-merge-gw-'));

beforeAll(async () => {
  gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });
  gh.addToken(TOKEN, { login: 'github-actions[bot]', comment: true, statuses: true, teams: false, user: false });
  gh.setPermission('bob', 'write');
  github = createGitHubGateway('acme', 'ops', { token: TOKEN, apiUrl: gh.url });
  audit = new FakeAudit();
});
afterAll(async () => {
  gh.assertClean();
  await gh.close();
});

/** PR `n` merged with one runbook, approved by bob on its head; `plan` says what the plan comment shows. */
async function seedPr(n: number, text: string, opts: { approvedBy?: string[]; plan?: 'ok' | 'wrong' | 'none' } = {}) {
  const head = String(n).padStart(40, 'a');
  const merge = String(n).padStart(40, 'c');
  const path = `runbooks/r${n}.yml`;
  gh.addPullRequest({ number: n, author: 'alice', headSha: head, baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: merge, files: [{ path, status: 'added' }] });
  gh.addCommit(n, { sha: head, author: 'alice', committer: 'alice' });
  gh.linkCommit(merge, n);
  gh.setFile(merge, '.github/opsgate.yml', JSON.stringify(config));
  gh.setFile(merge, path, text);
  for (const user of opts.approvedBy ?? ['bob']) gh.addReview(n, { user, state: 'APPROVED', commitId: head, submittedAt: '2026-11-22T09:00:00Z' });
  const digest = opts.plan === 'wrong' ? `sha256:${'0'.repeat(64)}` : runbookDigest(text, { ...(JSON.parse(text) as Runbook), path }, config);
  // The PR phase's sticky plan comment, written through the same gateway and token.
  if (opts.plan !== 'none') await github.upsertStickyComment(n, '<!-- opsgate:plan -->', `<!-- opsgate:plan -->\n## Plan\n<!-- opsgate:digest path=${encodeURI(path)} ${digest} head=${head} -->`);
  return merge;
}

const push = (sha: string, changed: string[] = []): MergeTrigger => ({ kind: 'push', sha, branch: 'main', defaultBranch: 'main', changedPaths: changed, forced: false, commitIds: [sha] });

function deps(runId: string, signal = new AbortController().signal): MergePhaseDeps {
  return {
    github,
    repository: 'acme/ops',
    configPath: '.github/opsgate.yml',
    runbooksGlob: 'runbooks/**/*.{yml,yaml}',
    auditSinks: () => ({ ledger: audit.ledger, open: audit.open }),
    executors: createExecutorFactory({ local: () => createLocalExecutor({ killGraceMs: 500 }) }),
    secretValues: [TOKEN],
    clock: fixedClock(() => new Date('2026-11-22T12:00:00Z')),
    signal,
    reporter: new RecordingReporter(),
    runId,
  };
}

describe('merge phase over the Octokit gateway, the GitHub stand-in and the local executor', () => {
  it('runs an approved runbook for real, once; a re-run skips it', async () => {
    const file = join(dir, 'ran');
    const merge = await seedPr(21, runbookText(`echo once >> '${file}'`));
    const first = await runMergePhase(push(merge), deps('1-1'));
    expect(first.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(first.pullRequests[0]!.runbooks[0]).toMatchObject({ approvers: ['bob'], steps: [{ status: 'succeeded', exitCode: 0 }] });
    const again = await runMergePhase(push(merge), deps('1-2'));
    expect(again.outcome.reasonCode).toBe('already-completed');
    expect(readFileSync(file, 'utf8')).toBe('once\n');
  });

  it.each([
    [31, 'not approved', { approvedBy: [] }, 'not-approved'],
    [32, 'approved by the author', { approvedBy: ['alice'] }, 'self-approval'],
    [33, 'digest mismatch', { plan: 'wrong' as const }, 'digest-mismatch'],
    [34, 'no plan comment', { plan: 'none' as const }, 'digest-mismatch'],
  ])('#%i %s: refuses and runs nothing', async (n, _name, opts, code) => {
    const file = join(dir, `never-${n}`);
    const merge = await seedPr(n, runbookText(`touch '${file}'`), opts);
    const report = await runMergePhase(push(merge), deps(`${n}-1`));
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: code });
    expect(existsSync(file)).toBe(false);
  });

  it('refuses outside the window and runs nothing', async () => {
    const file = join(dir, 'never-window');
    const merge = await seedPr(41, runbookText(`touch '${file}'`, { window: { notBefore: '2099-01-01T00:00:00Z' } }));
    expect((await runMergePhase(push(merge), deps('41-1'))).outcome.reasonCode).toBe('window-not-open');
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a direct push that changes a runbook (no merged PR for the commit)', async () => {
    const report = await runMergePhase(push('d'.repeat(40), ['runbooks/direct.yml']), deps('51-1'));
    expect(report.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'no-reviewed-pull-request' });
  });

  it('on cancellation stops the running bash step and records it', async () => {
    const started = join(dir, 'cancel-started');
    const merge = await seedPr(61, runbookText(`touch '${started}'; sleep 30; touch '${started}.done'`));
    const controller = new AbortController();
    const poll = setInterval(() => existsSync(started) && controller.abort(new Error('cancelled (SIGINT)')), 20);
    const t0 = Date.now();
    const report = await runMergePhase(push(merge), deps('61-1', controller.signal));
    clearInterval(poll);
    expect(Date.now() - t0).toBeLessThan(15_000); // loose: the step sleeps 30 s unless it was stopped
    expect(report.outcome.reasonCode).toBe('cancelled');
    expect(report.pullRequests[0]!.runbooks[0]!.steps![0]!.status).toBe('cancelled');
    expect(audit.events.filter((e) => e.startsWith('runbooks/r61.yml')).slice(-2)).toEqual(['runbooks/r61.yml:step.finished:0:cancelled', 'runbooks/r61.yml:run.finished:cancelled']);
    expect(existsSync(`${started}.done`)).toBe(false);
  });
});
