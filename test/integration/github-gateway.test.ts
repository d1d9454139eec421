// The Octokit gateway against the GitHub stand-in (every request and every reply checked against GitHub's
// OpenAPI description).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { CommentForbiddenError, NotAFileError, TeamMembershipUnreadableError, TooManyFilesError } from '../../src/ports/github.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';
import { checkResponse } from '../support/github-standin/openapi-check.js';

const HEAD = 'a'.repeat(40);
const BASE = 'c'.repeat(40);
let gh: GitHubStandin;
const logs: string[] = [];
const gateway = (token = 'bot-token', membersToken?: string, signal?: AbortSignal) =>
  createGitHubGateway('acme', 'ops', { token, apiUrl: gh.url, membersToken, signal, paceWrites: false, log: (m) => void logs.push(m) });
const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

beforeAll(async () => {
  gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });
  gh.addToken('bot-token', { login: 'github-actions[bot]', user: false });
  gh.addToken('app-token', { login: 'my-app[bot]', user: false });
  gh.addToken('read-only', { login: 'github-actions[bot]', user: false, comment: false, statuses: false, teams: false });
  gh.addToken('pat', { login: 'opsgate-bot' });
  gh.addPullRequest({ number: 7, author: 'dana', headSha: HEAD, baseSha: BASE, files: [{ path: 'runbooks/a.yml', status: 'added' }] });
  gh.addPullRequest({ number: 8, author: 'eve', headSha: HEAD, fork: true });
  gh.addPullRequest({ number: 9, author: 'dana', headSha: HEAD, files: Array.from({ length: 3100 }, (_, i) => ({ path: `src/f${i}.ts`, status: 'modified' as const })) });
  gh.addPullRequest({ number: 10, author: 'dana', headSha: HEAD, files: Array.from({ length: 3000 }, (_, i) => ({ path: `src/f${i}.ts`, status: 'modified' as const })) });
  gh.addPullRequest({ number: 11, author: 'dana', headSha: HEAD });
  gh.addPullRequest({ number: 12, author: 'dana', headSha: HEAD });
  gh.setFile(HEAD, 'runbooks/deep/a b.yml', 'title: héllo\n');
  gh.addTeamMember('acme', 'dba', 'carol');
  gh.setPermission('bob', 'maintain');
});
afterEach(() => gh.assertClean());
afterAll(() => gh.close());

describe('OctokitGateway', () => {
  it('reads a pull request: fork or not, base commit, changed-file count', async () => {
    const pr = await gateway().getPullRequest(7);
    expect(pr).toMatchObject({ number: 7, author: 'dana', headSha: HEAD, baseSha: BASE, fromFork: false, baseRef: 'main', changedFiles: 1 });
    expect((await gateway().getPullRequest(8)).fromFork).toBe(true);
  });

  it('pages through all 3,000 files of a PR that has exactly 3,000', async () => {
    const before = gh.requests.length;
    const files = await gateway().listPullRequestFiles(10);
    expect(files).toHaveLength(3000);
    expect(files[2999]!.path).toBe('src/f2999.ts');
    expect(gh.requests.length - before).toBe(31); // 30 pages + the PR's changed_files
  });

  it('refuses a PR with more files than GitHub lists (fail closed, not "the first 3,000")', async () => {
    const error = await gateway().listPullRequestFiles(9).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyFilesError);
    expect((error as Error).message).toMatch(/3,100 files.*first 3,000.*Split the pull request/);
  });

  it('reads raw bytes at a ref, null when absent, and says when the path is a symlink', async () => {
    expect(text(await gateway().readFile('runbooks/deep/a b.yml', HEAD))).toBe('title: héllo\n');
    expect(await gateway().readFile('runbooks/none.yml', HEAD)).toBeNull();
    const invalid = new Uint8Array([0x74, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);
    gh.setFile(HEAD, 'runbooks/bad-utf8.yml', invalid);
    expect(await gateway().readFile('runbooks/bad-utf8.yml', HEAD)).toEqual(invalid);
    gh.setSymlink(HEAD, 'runbooks/link.yml', '/etc/passwd');
    await expect(gateway().readFile('runbooks/link.yml', HEAD)).rejects.toBeInstanceOf(NotAFileError);
  });

  it('fetches a file over 1 MiB through the raw media type, byte for byte', async () => {
    const big = new Uint8Array(1024 * 1024 + 5000).map((_, i) => (i % 251) + 1);
    gh.setFile(HEAD, 'runbooks/huge.yml', big);
    const before = gh.requests.length;
    const read = await gateway().readFile('runbooks/huge.yml', HEAD);
    // Buffer.equals: a deep toEqual over a million elements takes seconds.
    expect(read && Buffer.from(read).equals(Buffer.from(big))).toBe(true);
    expect(gh.requests.length - before).toBe(2); // JSON without content, then raw
  });

  it('creates, then updates the same sticky comment, and is idempotent', async () => {
    const g = gateway();
    const first = await g.upsertStickyComment(7, '<!-- m1 -->', '<!-- m1 -->\none');
    const second = await g.upsertStickyComment(7, '<!-- m1 -->', '<!-- m1 -->\ntwo');
    const patches = gh.requests.filter((r) => r.operationId === 'issues/update-comment').length;
    await g.upsertStickyComment(7, '<!-- m1 -->', '<!-- m1 -->\ntwo');
    expect(second.id).toBe(first.id);
    expect(gh.requests.filter((r) => r.operationId === 'issues/update-comment')).toHaveLength(patches);
    expect(gh.comments.filter((c) => c.body.includes('<!-- m1 -->')).map((c) => c.body)).toEqual(['<!-- m1 -->\ntwo']);
  });

  it('with a GitHub App token (no GET /user), learns its login and never leaves two comments', async () => {
    await gateway('app-token').upsertStickyComment(11, '<!-- m5 -->', '<!-- m5 --> one');
    // A new run is a new process: the login is unknown again and must be learned, not guessed.
    await gateway('app-token').upsertStickyComment(11, '<!-- m5 -->', '<!-- m5 --> two');
    const mine = gh.comments.filter((c) => c.issue === 11);
    expect(mine.map((c) => [c.user, c.body])).toEqual([['my-app[bot]', '<!-- m5 --> two']]);
    expect(logs.join('\n')).toMatch(/taking the existing comment by my-app\[bot\]/);
    expect((await gateway('app-token').findStickyComment(11, '<!-- m5 -->'))?.body).toBe('<!-- m5 --> two');
  });

  it('never adopts a comment with the marker written by a person', async () => {
    gh.comments.push({ id: 1, issue: 7, user: 'mallory', body: '<!-- m2 --> fake', createdAt: '' });
    expect(await gateway('app-token').findStickyComment(7, '<!-- m2 -->')).toBeNull();
    await gateway().upsertStickyComment(7, '<!-- m2 -->', '<!-- m2 --> real');
    expect(gh.comments.filter((c) => c.body.includes('<!-- m2 -->')).map((c) => c.user).sort()).toEqual(['github-actions[bot]', 'mallory']);
    expect((await gateway().findStickyComment(7, '<!-- m2 -->'))?.body).toBe('<!-- m2 --> real');
  });

  it('ends with one comment when two runs race', async () => {
    await Promise.all([gateway('pat').upsertStickyComment(7, '<!-- m3 -->', '<!-- m3 --> x'), gateway('pat').upsertStickyComment(7, '<!-- m3 -->', '<!-- m3 --> x')]);
    expect(gh.comments.filter((c) => c.body.includes('<!-- m3 -->'))).toHaveLength(1);
  });

  it('throws CommentForbiddenError for a read-only token, and GitHub\'s 422 for a body over 65,536 characters', async () => {
    await expect(gateway('read-only').upsertStickyComment(8, '<!-- m4 -->', 'x')).rejects.toBeInstanceOf(CommentForbiddenError);
    const tooLong = await gateway().upsertStickyComment(12, '<!-- m6 -->', `<!-- m6 -->${'x'.repeat(70_000)}`).catch((e: unknown) => e);
    expect(tooLong).not.toBeInstanceOf(CommentForbiddenError);
    expect(tooLong).toMatchObject({ status: 422 });
    expect(gh.comments.filter((c) => c.issue === 12)).toHaveLength(0);
  });

  it('sets commit statuses, shortening the description to GitHub\'s 140 characters', async () => {
    await gateway().setCommitStatus(HEAD, { state: 'pending', context: 'opsgate/approval', description: 'x'.repeat(500), targetUrl: 'https://example.test/run' });
    const last = gh.statuses.at(-1)!;
    expect(last).toMatchObject({ state: 'pending', context: 'opsgate/approval', target_url: 'https://example.test/run' });
    expect(last.description!.length).toBe(140);
    await expect(gateway('read-only').setCommitStatus(HEAD, { state: 'success', context: 'c', description: 'd' })).rejects.toMatchObject({ status: 403 });
  });

  it('reads team membership, and says when it cannot', async () => {
    expect(await gateway().getTeamMembership('acme', 'dba', 'carol')).toBe('member');
    expect(await gateway().getTeamMembership('acme', 'dba', 'mallory')).toBe('not-member');
    await expect(gateway('read-only').getTeamMembership('acme', 'dba', 'carol')).rejects.toBeInstanceOf(TeamMembershipUnreadableError);
    expect(await gateway('read-only', 'pat').getTeamMembership('acme', 'dba', 'carol')).toBe('member');
  });

  it('reads permissions, reviews, commits (at most 250, like GitHub) and the PRs of a commit', async () => {
    expect(await gateway().getRepoPermission('bob')).toBe('maintain');
    expect(await gateway().getRepoPermission('zed')).toBe('none');
    gh.addReview(7, { user: 'carol', state: 'APPROVED', commitId: HEAD });
    gh.addCommit(7, { sha: HEAD, author: 'dana', committer: null });
    gh.linkCommit('f'.repeat(40), 7);
    expect(await gateway().listReviews(7)).toMatchObject([{ user: 'carol', state: 'APPROVED', commitId: HEAD }]);
    expect(await gateway().listPullRequestCommits(7)).toEqual([{ sha: HEAD, author: 'dana', committer: null }]);
    expect((await gateway().listPullRequestsForCommit('f'.repeat(40))).map((p) => p.number)).toEqual([7]);
    for (let i = 0; i < 300; i++) gh.addCommit(12, { sha: i.toString(16).padStart(40, '0'), author: 'dana', committer: 'dana' });
    expect(await gateway().listPullRequestCommits(12)).toHaveLength(250);
  });

  it('sends nothing once the job is cancelled, failing with an AbortError (which the retry plugin does not retry)', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled (SIGINT)'));
    const before = gh.requests.length;
    const error = await gateway('bot-token', undefined, controller.signal).getPullRequest(7).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', message: expect.stringContaining('The job was cancelled') });
    expect(gh.requests.length - before).toBe(0);
  });

  it('stops paging when the job is cancelled mid-list: no request after the abort', async () => {
    const controller = new AbortController();
    let atAbort = -1;
    gh.onRequest = (req) => {
      if (atAbort < 0 && req.operationId === 'pulls/list-files' && /[?&]page=3\b/.test(req.path)) {
        controller.abort(new Error('cancelled (SIGTERM)'));
        atAbort = gh.requests.length;
      }
    };
    try {
      const error = await gateway('bot-token', undefined, controller.signal).listPullRequestFiles(10).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AbortError', message: expect.stringContaining('The job was cancelled') });
      expect(atAbort).toBeGreaterThan(0);
      expect(gh.requests.length).toBe(atAbort);
    } finally {
      gh.onRequest = undefined;
    }
  });
});

describe('the stand-in\'s OpenAPI check', () => {
  const post = (path: string, body: unknown, query = '') =>
    fetch(`${gh.url}${path}${query}`, { method: 'POST', headers: { authorization: 'token pat' }, body: JSON.stringify(body) });
  const get = (path: string) => fetch(`${gh.url}${path}`, { headers: { authorization: 'token pat' } });

  it.each([
    ['a misspelt body property', () => post(`/repos/acme/ops/statuses/${HEAD}`, { state: 'success', contxt: 'opsgate/approval' }), /additional properties "contxt"/],
    ['an extra body property', () => post('/repos/acme/ops/issues/7/comments', { body: 'x', text: 'y' }), /additional properties "text"/],
    ['a body without a required property', () => post('/repos/acme/ops/issues/7/comments', { text: 'x' }), /invalid body for issues\/create-comment/],
    ['a path value of the wrong type', () => get('/repos/acme/ops/pulls/abc'), /pull_number="abc" .*integer/],
    ['a query value of the wrong type', () => get('/repos/acme/ops/pulls/7/files?per_page=abc'), /per_page="abc" .*integer/],
    ['an unknown query parameter', () => get('/repos/acme/ops/pulls/7/files?per_pag=100'), /documents no query parameter "per_pag"/],
    ['an undocumented path', () => get('/repos/acme/ops/pulls/7/nothing'), /no documented path/],
  ])('rejects %s', async (_name, send, message) => {
    const res = await send();
    expect(res.status).toBe(500);
    expect(gh.violations.splice(0)).toEqual([expect.stringMatching(message)]);
  });

  it('enforces GitHub\'s limits as GitHub does (422), not as a contract violation', async () => {
    const status = await post(`/repos/acme/ops/statuses/${HEAD}`, { state: 'success', context: 'c', description: 'd'.repeat(500) });
    expect(status.status).toBe(422);
    const comment = await post('/repos/acme/ops/issues/7/comments', { body: 'x'.repeat(70_000) });
    expect(comment.status).toBe(422);
    expect(await comment.json()).toMatchObject({ message: 'Validation Failed', errors: [{ field: 'body', code: 'custom' }] });
  });

  it('checks replies against the documented response schema', () => {
    const op = { template: '/repos/{owner}/{repo}/pulls/{pull_number}', method: 'get', operationId: 'pulls/get', params: {} };
    expect(() => checkResponse(op, 200, { number: 7, head: { sha: HEAD } })).toThrow(/not what GitHub sends.*required property/);
    expect(() => checkResponse(op, 201, {})).toThrow(/documents no 201 response/);
  });
});
