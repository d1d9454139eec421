// `node dist/index.js` as the runner starts it for pull_request events, talking to the GitHub stand-in.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../support/run-action.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];

function payload(event: string, action: string, number: number): Record<string, unknown> {
  const copy = structuredClone(examples.find((e) => e.name === event)!.examples.find((x) => x.action === action)!) as Record<string, unknown> & {
    pull_request: { number: number };
  };
  copy.pull_request.number = number;
  return copy;
}

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const CONFIG = `version: 1
targets:
  web-fleet:
    ssm: { tags: { Role: web, Env: prod }, max-concurrency: "10%", max-errors: "0" }
    region: ap-northeast-1
policy:
  approvals: { required: 1, from: ["@acme/sre"] }
`;
const ROTATE = 'runbooks/examples/rotate-web-logs.yml';

let gh: GitHubStandin;
beforeAll(async () => {
  gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });
  gh.addToken('ghs_bot', { login: 'github-actions[bot]', user: false });
  gh.addToken('ghs_fork', { login: 'github-actions[bot]', user: false, comment: false, statuses: false });
  gh.addPullRequest({ number: 5, author: 'dana', headSha: '5'.repeat(40), files: [{ path: 'README.md', status: 'modified' }] });
  gh.addPullRequest({ number: 6, author: 'dana', headSha: '6'.repeat(40), files: [{ path: 'runbooks/a.yml', status: 'added' }] });
  gh.setFile('6'.repeat(40), 'runbooks/a.yml', 'version: 1\n');
  gh.addPullRequest({ number: 7, author: 'eve', headSha: '7'.repeat(40), fork: true, files: [{ path: 'runbooks/a.yml', status: 'added' }] });
  gh.setFile('7'.repeat(40), 'runbooks/a.yml', 'version: 1\n');
  gh.addPullRequest({ number: 8, author: 'dana', headSha: '8'.repeat(40), files: [{ path: ROTATE, status: 'added' }] });
  gh.setFile('8'.repeat(40), '.github/opsgate.yml', CONFIG);
  gh.setFile('8'.repeat(40), ROTATE, read(ROTATE));
  gh.addCommit(8, { sha: '8'.repeat(40), author: 'dana', committer: 'dana' });
  gh.addTeamMember('acme', 'sre', 'carol');
});
afterEach(() => gh.assertClean());
afterAll(() => gh.close());

const run = (event: string, action: string, pr: number, token: string, mode = 'auto') =>
  runAction({ eventName: event, payload: payload(event, action, pr), inputs: { 'github-token': token, mode }, env: { GITHUB_API_URL: gh.url, GITHUB_RUN_ID: '77' }, repository: 'acme/ops' });
/** GitHub sends pull_request_target the pull_request payload, under its own event name. */
const runTarget = (action: string, pr: number, mode: string) =>
  runAction({ eventName: 'pull_request_target', payload: payload('pull_request', action, pr), inputs: { 'github-token': 'ghs_bot', mode }, env: { GITHUB_API_URL: gh.url, GITHUB_RUN_ID: '78' }, repository: 'acme/ops' });

describe('node dist/index.js on pull_request', () => {
  it('a PR without runbooks: proceed, status success', async () => {
    const r = await run('pull_request', 'opened', 5, 'ghs_bot');
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND/);
    expect(r.outputs['reason-code']).toBe('no-runbooks');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.outputs.result!)).toMatchObject({ version: 1, phase: 'plan', status: 'success' });
    expect(gh.statuses.at(-1)).toMatchObject({ sha: '5'.repeat(40), state: 'success', description: 'no runbooks changed', target_url: 'https://github.com/acme/ops/actions/runs/77' });
  });

  it('creates then updates one comment; a read-only token falls back to the summary', async () => {
    await run('pull_request', 'opened', 6, 'ghs_bot');
    const r = await run('pull_request_review', 'submitted', 6, 'ghs_bot');
    expect(gh.comments.filter((c) => c.issue === 6)).toHaveLength(1);
    expect(r.outputs.decision).toBe('refuse');
    expect(r.summary).toContain('<!-- opsgate:plan -->');

    const before = gh.comments.length;
    const fork = await run('pull_request', 'opened', 7, 'ghs_fork');
    expect(fork.stdout + fork.stderr).toMatch(/Could not comment on #7/);
    expect(fork.summary).toContain('opsgate plan');
    expect(gh.comments.length).toBe(before);
  });

  it('a valid runbook: pending with who is needed, then success once approved; comment, summary and outputs', async () => {
    const opened = await run('pull_request', 'opened', 8, 'ghs_bot');
    expect(opened.exitCode).toBe(0);
    expect(opened.outputs).toMatchObject({ decision: 'proceed', 'reason-code': 'ok' });
    expect(gh.latestStatus('8'.repeat(40))).toMatchObject({ state: 'pending', description: 'needs one more from @acme/sre' });
    expect(gh.requests.filter((r) => r.operationId === 'issues/create-comment' && r.path.includes('/issues/8/'))).toHaveLength(1);

    gh.addReview(8, { user: 'carol', state: 'APPROVED', commitId: '8'.repeat(40) });
    const approved = await run('pull_request_review', 'submitted', 8, 'ghs_bot');
    expect(approved.exitCode).toBe(0);
    const [comment] = gh.comments.filter((c) => c.issue === 8);
    expect(gh.latestStatus('8'.repeat(40))).toMatchObject({ state: 'success', description: 'approved: 1 of 1 approvals: carol', target_url: expect.stringContaining(`#issuecomment-${comment!.id}`) });
    expect(comment!.body).toContain('✅ 1 of 1 approvals: carol');
    expect(approved.summary).toContain('<!-- opsgate:digest path=runbooks/examples/rotate-web-logs.yml sha256:');
    expect(approved.summary).toContain('2026-11-23 01:00–03:00 UTC');
    const result = JSON.parse(approved.outputs.result!) as Record<string, unknown>;
    expect(result).toMatchObject({ version: 1, phase: 'plan', status: 'success', commentUrl: expect.stringContaining('#issuecomment-'), runbooks: [{ path: ROTATE, status: 'valid', approved: true }] });
  });
});

describe('node dist/index.js on pull_request_target (docs/examples/opsgate-plan-forks.yml)', () => {
  it('mode: plan reads the fork PR through the API and sets the status with the base token', async () => {
    const head = '9'.repeat(40);
    gh.addPullRequest({ number: 9, author: 'eve', headSha: head, fork: true, files: [{ path: ROTATE, status: 'added' }] });
    gh.setFile(head, '.github/opsgate.yml', CONFIG);
    gh.setFile(head, ROTATE, read(ROTATE));
    gh.addCommit(9, { sha: head, author: 'eve', committer: 'eve' });
    const r = await runTarget('opened', 9, 'plan');
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ decision: 'proceed', 'reason-code': 'ok' });
    expect(JSON.parse(r.outputs.result!)).toMatchObject({ phase: 'plan', headSha: head, status: 'pending' });
    expect(gh.latestStatus(head)).toMatchObject({ state: 'pending', description: 'needs one more from @acme/sre', token: 'ghs_bot' });
    expect(gh.comments.filter((c) => c.issue === 9)).toHaveLength(1);
  });

  it('mode: auto refuses to guess, saying to set mode: plan, and touches nothing on GitHub', async () => {
    const requests = gh.requests.length;
    const statuses = gh.statuses.length;
    const r = await runTarget('opened', 9, 'auto');
    expect(r.exitCode).toBe(1);
    expect(r.outputs).toMatchObject({ decision: 'refuse', 'reason-code': 'invalid-config' });
    expect(JSON.parse(r.outputs.result!).outcome.message).toMatch(/"pull_request_target" event by itself.*set the input "mode" to plan.*opsgate-plan-forks\.yml.*never check out the pull request head/);
    expect(r.stdout).toMatch(/::error::.*pull_request_target/);
    expect(gh.requests).toHaveLength(requests);
    expect(gh.statuses).toHaveLength(statuses);
  });
});
