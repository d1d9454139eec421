// The merge phase's composition root in-process, with in-memory ports and the real loaders: the result comment
// and summary, the `result` output, masking, Slack, and the post: step that posts what a killed main step could not.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionContext } from '../../src/action/context.js';
import { postFromAction, runFromAction, type MergeCollaborators } from '../../src/action/run-action.js';
import { FakeAudit, FakeExecutor, FakeGitHub, RecordingReporter, fixedClock } from '../support/merge/fakes.js';
import { CONFIG_PATH, configYaml, digestOf, planCommentBody, runbookYaml } from '../support/merge/yaml-fixtures.js';
import { startSlackCapture, type SlackCapture } from '../support/slack-capture.js';

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Example[];

const HEAD = 'a'.repeat(40);
const MERGE = 'c'.repeat(40);
const configText = configYaml({ audit: { logGroup: '/opsgate/audit' } });
const runbookText = (steps: string[]) => runbookYaml(steps, { title: 'Rotate' });

let github: FakeGitHub;
let audit: FakeAudit;
let executor: FakeExecutor;
let reporter: RecordingReporter;
let dir: string;
let slack: SlackCapture;
let slackUrl = '';
let slackBodies: string[] = [];

/** PR 12 merged with the given runbooks (path → text), approved by bob, with the plan comment showing their digests. */
async function seed(runbooks: Record<string, string> | string, config = configText) {
  const files = typeof runbooks === 'string' ? { 'runbooks/rotate.yml': runbooks } : runbooks;
  github.pulls.set(12, { number: 12, author: 'alice', headSha: HEAD, baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: MERGE, fromFork: false, htmlUrl: 'https://github.com/acme/ops/pull/12' });
  github.prsByCommit.set(MERGE, [12]);
  github.files.set(12, Object.keys(files).map((path) => ({ path, status: 'added' as const })));
  github.setFile(CONFIG_PATH, MERGE, config);
  for (const [path, text] of Object.entries(files)) github.setFile(path, MERGE, text);
  github.reviews.set(12, [{ id: 7, user: 'bob', state: 'APPROVED', commitId: HEAD, submittedAt: null }]);
  const digests: Record<string, string> = {};
  for (const [path, text] of Object.entries(files)) digests[path] = await digestOf(path, text, config);
  await github.upsertStickyComment(12, '<!-- opsgate:plan -->', planCommentBody(digests, HEAD));
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
  slack = await startSlackCapture();
  slackBodies = slack.bodies;
  slackUrl = slack.url;
});
afterAll(() => slack.close());

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
    await seed(runbookText(['echo s3cr3t-pw']));
    const { outcome, result } = await runFromAction(context(), collaborators());
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(reporter.masked).toEqual(expect.arrayContaining(['ghs_token', 's3cr3t-pw', `${slackUrl}/hook`]));
    expect(reporter.lines).toContain('warning: secret-env names UNSET_ONE, but it is not set in this step\'s environment; nothing to mask for it.');
    const comment = github.comments.get('12:<!-- opsgate:result -->')!.body;
    expect(comment).toMatch(/^<!-- opsgate:result -->\n## opsgate result for #12: ✅ ok/);
    expect(comment).toContain('| 1 | step 1 | ✅ succeeded | 0 |');
    expect(comment).toContain("(equal to the plan comment's for `aaaaaaa`)");
    expect(reporter.summaries).toEqual([comment]);
    expect(audit.events).toContain('runbooks/rotate.yml:step.started:0:echo ***');
    expect(reporter.lines).toEqual(expect.arrayContaining(['── step 1: step 1 (shell)', 'ran step 1', '── step 1 succeeded (exit code 0): exited with code 0']));
    expect(result).toMatchObject({
      version: 1,
      phase: 'run',
      trigger: 'push',
      cancelled: false,
      pullRequests: [{ number: 12, mergeSha: MERGE, runbooks: [{ path: 'runbooks/rotate.yml', approvers: ['bob'], digestComparedWith: 'plan-comment', steps: [{ index: 0, status: 'succeeded', exitCode: 0 }] }] }],
    });
    expect(slackBodies.map((b) => (JSON.parse(b) as { text: string }).text)).toEqual([
      expect.stringMatching(/started `runbooks\/rotate.yml` \(Rotate\) on target `local` .* by alice, approved by bob/),
      expect.stringMatching(/finished .*: ok/),
    ]);
    // Reported: nothing left for the post step.
    expect(readdirPending()).toEqual([]);
  });

  it('re-checks on a schedule in a repository whose default branch is master (GITHUB_REF_NAME), never assuming main', async () => {
    await seed(runbookText(['echo scheduled']));
    github.pulls.set(12, { ...github.pulls.get(12)!, baseRef: 'master' });
    // A schedule's payload names no repository; the runner runs it on the default branch's head, GITHUB_SHA.
    const ctx: ActionContext = { ...context(), eventName: 'schedule', payload: { schedule: '0 * * * *' }, refName: 'master' };
    const { outcome } = await runFromAction(ctx, collaborators());
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(executor.ran).toEqual(['echo scheduled']);
  });

  it('masks secret values and policy.redact matches in the comment, the summary, the result and Slack', async () => {
    const leaky = configYaml({ audit: { logGroup: '/opsgate/audit' }, redact: ['tok_[a-z0-9]+'] });
    await seed(runbookText(['leak pa_ss*word tok_abc123']), leaky);
    const ctx = { ...context(), env: { DB_PASSWORD: 'pa_ss*word' } };
    const { result } = await runFromAction(ctx, collaborators());
    expect(result.outcome).toMatchObject({ reasonCode: 'step-failed' });
    const comment = github.comments.get('12:<!-- opsgate:result -->')!.body;
    for (const published of [comment, JSON.stringify(result), ...reporter.summaries, ...slackBodies]) {
      expect(published).not.toMatch(/pa.?_?ss.?\*?word|tok_abc123/);
    }
    expect(comment).toContain('login failed for \\*\\*\\*');
    expect(comment).toContain('token *** ***');
    expect((JSON.parse(slackBodies.at(-1)!) as { text: string }).text).toContain('step 1 "step 1" failed (login failed for *** ***)');
    expect(audit.events.join('\n')).not.toMatch(/pa_ss\*word|tok_abc123/);
  });

  it('warns that a secret-env value shorter than the masking threshold is not masked', async () => {
    await seed(runbookText(['echo hi']));
    await runFromAction({ ...context(), env: { DB_PASSWORD: 'abc' } }, collaborators());
    expect(reporter.lines).toContain(
      'warning: secret-env names DB_PASSWORD, whose value is shorter than 4 characters: too short to tell from ordinary output, so opsgate does not mask it in the comment or the audit log.',
    );
  });

  it('updates the comment as cancelled when the job is cancelled mid-step', async () => {
    await seed(runbookText(['sleep 100']));
    const controller = new AbortController();
    void executor.waiting.then(() => controller.abort(new Error('cancelled (SIGINT)')));
    const { outcome, result } = await runFromAction(context(controller.signal), collaborators());
    expect(outcome).toMatchObject({ decision: 'refuse', reasonCode: 'cancelled' });
    expect(result.cancelled).toBe(true);
    expect(github.comments.get('12:<!-- opsgate:result -->')!.body).toContain('## opsgate result for #12: ⛔ cancelled');
  });

  it('leaves a pending "interrupted" comment, with the earlier runbooks\' results, that the post step posts when the main step died', async () => {
    // The main step dies while the second runbook runs (its step never returns): it never gets to report.
    await seed({ 'runbooks/a.yml': runbookText(['echo first']), 'runbooks/b.yml': runbookText(['hang']) });
    void runFromAction(context(), collaborators());
    await vi.waitFor(() => expect(executor.ran).toEqual(['echo first', 'hang']));
    expect(github.comments.has('12:<!-- opsgate:result -->')).toBe(false);
    const state = readFileSync(process.env.GITHUB_STATE!, 'utf8');
    const path = /opsgate-pending-comment<<(\S+)\n(.*)\n/.exec(state)![2]!;
    expect(readdirPending()).toHaveLength(1);
    process.env['STATE_opsgate-pending-comment'] = path;
    try {
      await postFromAction(context(), github);
    } finally {
      delete process.env['STATE_opsgate-pending-comment'];
    }
    const body = github.comments.get('12:<!-- opsgate:result -->')!.body;
    expect(body).toContain('### `runbooks/a.yml` — Rotate\n\n✅ **ok**');
    expect(body).toContain('| 1 | step 1 | ✅ succeeded | 0 |');
    expect(body).toMatch(/### `runbooks\/b\.yml` — Rotate\n\n⛔ \*\*cancelled\*\* — The job stopped \(cancelled or the runner died\) before this runbook finished/);
    expect(existsSync(path)).toBe(false);
  });

  it('shows the audit chain head, and puts the local transcript of a failed audit log in the summary', async () => {
    await seed(runbookText(['echo hi']));
    const kept = join(dir, 'kept.jsonl');
    writeFileSync(kept, ['{"seq":0,"type":"run.started"}', '{"seq":1,"type":"step.started"}', ''].join('\n'));
    audit.location = { ...audit.location, localCopy: kept, chainHead: { seq: 5, sha256: 'ab'.repeat(32) } };
    await runFromAction(context(), collaborators());
    const comment = github.comments.get('12:<!-- opsgate:result -->')!.body;
    expect(comment).toContain(`**Audit chain head:** event 5, sha256 \`${'ab'.repeat(32)}\``);
    expect(comment).toContain(`the transcript so far was kept on the runner in \`${kept}\``);
    const summary = reporter.summaries.join('\n');
    expect(summary).toContain(`### Audit transcript of \`runbooks/rotate.yml\` kept on the runner`);
    expect(summary).toContain(`(${readFileSync(kept).length} bytes, 2 lines, sha256 \`${createHash('sha256').update(readFileSync(kept)).digest('hex')}\`). Below: all 2 lines.`);
    expect(summary).toContain('```json\n{"seq":0,"type":"run.started"}\n{"seq":1,"type":"step.started"}\n```');
  });

  it('reports a push that is not a reviewed merge in the summary only: no comment anywhere', async () => {
    const { outcome } = await runFromAction(context(), collaborators());
    expect(outcome.reasonCode).toBe('no-runbooks');
    expect(reporter.summaries).toEqual([`## opsgate\n\nno-runbooks: ${outcome.message}\n`]);
    expect(github.comments.size).toBe(0);
  });
});

function readdirPending(): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('opsgate-pending-'));
}
