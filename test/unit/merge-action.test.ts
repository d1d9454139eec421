// The merge phase's composition root in-process, with in-memory ports: the result comment and summary, the
// `result` output, masking, Slack, and the post: step that posts what a killed main step could not.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionContext } from '../../src/action/context.js';
import { postFromAction, runFromAction, type MergeCollaborators } from '../../src/action/run-action.js';
import { runbookDigest } from '../../src/plan/digest.js';
import type { RepoConfig, Runbook } from '../../src/runbook/model.js';
import { FakeAudit, FakeExecutor, FakeGitHub, RecordingReporter, fixedClock } from '../support/merge/fakes.js';

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

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Example[];

const HEAD = 'a'.repeat(40);
const MERGE = 'c'.repeat(40);
const config: RepoConfig = {
  path: '.github/opsgate.yml',
  version: 1,
  audit: { logGroup: '/opsgate/audit' },
  targets: { local: { kind: 'local', name: 'local' } },
  databases: {},
  policy: { approvals: { required: 1, from: [], allowStale: false }, denyCommands: [], sqlRules: { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'error', truncate: 'error', ddl: 'warning' }, redact: [] },
};
const runbookText = (steps: string[]) =>
  JSON.stringify({ version: 1, title: 'Rotate', target: 'local', steps: steps.map((run, index) => ({ kind: 'shell', name: `s${index + 1}`, index, run, timeoutSeconds: 60, continueOnError: false })) });

let github: FakeGitHub;
let audit: FakeAudit;
let executor: FakeExecutor;
let reporter: RecordingReporter;
let dir: string;
let slack: Server;
let slackUrl = '';
const slackBodies: string[] = [];

function seed(text: string) {
  github.pulls.set(12, { number: 12, author: 'alice', headSha: HEAD, baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: MERGE, fromFork: false, htmlUrl: 'https://github.com/acme/ops/pull/12' });
  github.prsByCommit.set(MERGE, [12]);
  github.files.set(12, [{ path: 'runbooks/rotate.yml', status: 'added' }]);
  github.setFile('.github/opsgate.yml', MERGE, JSON.stringify(config));
  github.setFile('runbooks/rotate.yml', MERGE, text);
  github.reviews.set(12, [{ id: 7, user: 'bob', state: 'APPROVED', commitId: HEAD, submittedAt: null }]);
  const digest = runbookDigest(text, { ...(JSON.parse(text) as Runbook), path: 'runbooks/rotate.yml' }, config);
  void github.upsertStickyComment(12, '<!-- opsgate:plan -->', `<!-- opsgate:plan -->\n<!-- opsgate:digest path=runbooks/rotate.yml ${digest} head=${HEAD} -->`);
}

function context(signal = new AbortController().signal): ActionContext {
  const payload = structuredClone(examples.find((e) => e.name === 'push')!.examples.find((e) => String(e.ref).startsWith('refs/heads/'))!);
  Object.assign(payload, { ref: 'refs/heads/main', after: MERGE, repository: { ...(payload.repository as object), default_branch: 'main' } });
  return {
    inputs: { mode: 'auto', githubToken: 'ghs_token', configPath: '.github/opsgate.yml', runbooksGlob: 'runbooks/**/*.{yml,yaml}', statusContext: 'opsgate/approval', secretEnv: ['DB_PASSWORD', 'UNSET_ONE'], slackWebhookUrl: `${slackUrl}/hook` },
    eventName: 'push',
    payload,
    owner: 'acme',
    repo: 'ops',
    sha: MERGE,
    apiUrl: 'http://127.0.0.1:1',
    workflowRunUrl: 'https://github.com/acme/ops/actions/runs/1000',
    runId: '1000-1',
    tempDir: dir,
    env: { DB_PASSWORD: 's3cr3t-pw' },
    reporter,
    signal,
  };
}

const collaborators = (): MergeCollaborators => ({
  github,
  auditSinks: () => ({ ledger: audit.ledger, open: audit.open }),
  executorBuilders: { local: () => executor },
  clock: fixedClock(() => new Date('2026-11-22T12:00:00Z')),
});

beforeAll(async () => {
  slack = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      slackBodies.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => slack.close(() => resolve())));

beforeEach(() => {
  github = new FakeGitHub();
  audit = new FakeAudit();
  executor = new FakeExecutor();
  reporter = new RecordingReporter();
  dir = mkdtempSync(join(tmpdir(), 'opsgate-merge-action-'));
  process.env.GITHUB_STATE = join(dir, 'state.txt');
  writeFileSync(process.env.GITHUB_STATE, '');
  slackBodies.length = 0;
});

describe('runFromAction', () => {
  it('runs, comments, writes the summary and the versioned result, masks secrets and tells Slack', async () => {
    seed(runbookText(['echo s3cr3t-pw']));
    const { outcome, result } = await runFromAction(context(), collaborators());
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(reporter.masked).toEqual(expect.arrayContaining(['ghs_token', 's3cr3t-pw', `${slackUrl}/hook`]));
    expect(reporter.lines).toContain('warning: secret-env names UNSET_ONE, but it is not set in this step\'s environment; nothing to mask for it.');
    const comment = github.comments.get('12:<!-- opsgate:result -->')!.body;
    expect(comment).toMatch(/^<!-- opsgate:result -->\n## opsgate result for #12: ✅ ok/);
    expect(comment).toContain('| 1 | s1 | ✅ succeeded | 0 |');
    expect(reporter.summaries).toEqual([comment]);
    expect(audit.events).toContain('runbooks/rotate.yml:step.started:0:echo ***');
    expect(reporter.lines).toEqual(expect.arrayContaining(['── step 1: s1 (shell)', 'ran s1', '── step 1 succeeded (exit code 0): exited with code 0']));
    expect(result).toMatchObject({
      version: 1,
      phase: 'run',
      trigger: 'push',
      cancelled: false,
      pullRequests: [{ number: 12, mergeSha: MERGE, runbooks: [{ path: 'runbooks/rotate.yml', approvers: ['bob'], steps: [{ index: 0, status: 'succeeded', exitCode: 0 }] }] }],
    });
    expect(slackBodies.map((b) => (JSON.parse(b) as { text: string }).text)).toEqual([
      expect.stringMatching(/started `runbooks\/rotate.yml` \(Rotate\) on target `local` .* by alice, approved by bob/),
      expect.stringMatching(/finished .*: ok/),
    ]);
    // Reported: nothing left for the post step.
    expect(readdirPending()).toEqual([]);
  });

  it('masks secret values and policy.redact matches in the comment and the result, even inside escaped text', async () => {
    const leaky = { ...config, policy: { ...config.policy, redact: ['tok_[a-z0-9]+'] } };
    const text = runbookText(['leak pa_ss*word tok_abc123']);
    seed(text);
    github.setFile('.github/opsgate.yml', MERGE, JSON.stringify(leaky));
    const digest = runbookDigest(text, { ...(JSON.parse(text) as Runbook), path: 'runbooks/rotate.yml' }, leaky);
    void github.upsertStickyComment(12, '<!-- opsgate:plan -->', `<!-- opsgate:digest path=runbooks/rotate.yml ${digest} head=${HEAD} -->`);
    const ctx = { ...context(), env: { DB_PASSWORD: 'pa_ss*word' } };
    const { result } = await runFromAction(ctx, collaborators());
    expect(result.outcome).toMatchObject({ reasonCode: 'step-failed' });
    const comment = github.comments.get('12:<!-- opsgate:result -->')!.body;
    for (const published of [comment, JSON.stringify(result), ...reporter.summaries]) {
      expect(published).not.toMatch(/pa.?_?ss.?\*?word|tok_abc123/);
    }
    expect(comment).toContain('login failed for \\*\\*\\*');
    expect(comment).toContain('token *** ***');
    expect(audit.events.join('\n')).not.toMatch(/pa_ss\*word|tok_abc123/);
  });

  it('updates the comment as cancelled when the job is cancelled mid-step', async () => {
    seed(runbookText(['sleep 100']));
    const controller = new AbortController();
    void executor.waiting.then(() => controller.abort(new Error('cancelled (SIGINT)')));
    const { outcome, result } = await runFromAction(context(controller.signal), collaborators());
    expect(outcome).toMatchObject({ decision: 'refuse', reasonCode: 'cancelled' });
    expect(result.cancelled).toBe(true);
    expect(github.comments.get('12:<!-- opsgate:result -->')!.body).toContain('🛑 cancelled');
  });

  it('leaves a pending "interrupted" comment that the post step posts when the main step died', async () => {
    // The main step dies while the runbook runs (its step never returns): it never gets to report.
    seed(runbookText(['hang']));
    void runFromAction(context(), collaborators());
    await vi.waitFor(() => expect(readdirPending()).toHaveLength(1));
    expect(github.comments.has('12:<!-- opsgate:result -->')).toBe(false);
    const state = readFileSync(process.env.GITHUB_STATE!, 'utf8');
    const path = /opsgate-pending-comment<<(\S+)\n(.*)\n/.exec(state)![2]!;
    process.env['STATE_opsgate-pending-comment'] = path;
    try {
      await postFromAction(context(), github);
    } finally {
      delete process.env['STATE_opsgate-pending-comment'];
    }
    const body = github.comments.get('12:<!-- opsgate:result -->')!.body;
    expect(body).toMatch(/The job stopped \(cancelled or the runner died\) before this runbook finished/);
    expect(existsSync(path)).toBe(false);
  });

  it('reports a push that is not a reviewed merge in the summary, with no comment', async () => {
    const { outcome } = await runFromAction(context(), collaborators());
    expect(outcome.reasonCode).toBe('no-runbooks');
    expect(reporter.summaries[0]).toMatch(/no-runbooks/);
  });
});

function readdirPending(): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('opsgate-pending-'));
}
