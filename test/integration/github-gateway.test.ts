// The Octokit gateway against the GitHub stand-in (every request checked against GitHub's OpenAPI description).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { CommentForbiddenError, TeamMembershipUnreadableError } from '../../src/ports/github.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const HEAD = 'a'.repeat(40);
let gh: GitHubStandin;
const gateway = (token = 'bot-token', membersToken?: string) => createGitHubGateway('acme', 'ops', { token, apiUrl: gh.url, membersToken });

beforeAll(async () => {
  gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });
  gh.addToken('bot-token', { login: 'github-actions[bot]', user: false });
  gh.addToken('read-only', { login: 'github-actions[bot]', user: false, comment: false, statuses: false, teams: false });
  gh.addToken('pat', { login: 'opsgate-bot' });
  gh.addPullRequest({ number: 7, author: 'dana', headSha: HEAD, files: [{ path: 'runbooks/a.yml', status: 'added' }] });
  gh.addPullRequest({ number: 8, author: 'eve', headSha: HEAD, fork: true });
  gh.addPullRequest({
    number: 9,
    author: 'dana',
    headSha: HEAD,
    files: Array.from({ length: 3100 }, (_, i) => ({ path: `src/f${i}.ts`, status: 'modified' as const })),
  });
  gh.setFile(HEAD, 'runbooks/deep/a b.yml', 'title: héllo\n');
  gh.addTeamMember('acme', 'dba', 'carol');
  gh.setPermission('bob', 'maintain');
});
afterEach(() => gh.assertClean());
afterAll(() => gh.close());

describe('OctokitGateway', () => {
  it('reads a pull request and tells forks apart', async () => {
    const pr = await gateway().getPullRequest(7);
    expect(pr).toMatchObject({ number: 7, author: 'dana', headSha: HEAD, fromFork: false, baseRef: 'main' });
    expect((await gateway().getPullRequest(8)).fromFork).toBe(true);
  });

  it('pages through changed files and stops at 3,000 like GitHub', async () => {
    const before = gh.requests.length;
    const files = await gateway().listPullRequestFiles(9);
    expect(files).toHaveLength(3000);
    expect(files[2999]!.path).toBe('src/f2999.ts');
    expect(gh.requests.length - before).toBe(30);
  });

  it('reads a file at a ref, and null when absent', async () => {
    expect(await gateway().readFile('runbooks/deep/a b.yml', HEAD)).toBe('title: héllo\n');
    expect(await gateway().readFile('runbooks/none.yml', HEAD)).toBeNull();
  });

  it('creates, then updates the same sticky comment, and is idempotent', async () => {
    const g = gateway();
    const first = await g.upsertStickyComment(7, '<!-- m1 -->', '<!-- m1 -->\none');
    const second = await g.upsertStickyComment(7, '<!-- m1 -->', '<!-- m1 -->\ntwo');
    await g.upsertStickyComment(7, '<!-- m1 -->', '<!-- m1 -->\ntwo');
    expect(second.id).toBe(first.id);
    const mine = gh.comments.filter((c) => c.body.includes('<!-- m1 -->'));
    expect(mine.map((c) => c.body)).toEqual(['<!-- m1 -->\ntwo']);
  });

  it('never adopts a comment with the marker written by someone else', async () => {
    gh.comments.push({ id: 1, issue: 7, user: 'mallory', body: '<!-- m2 --> fake', createdAt: '' });
    await gateway().upsertStickyComment(7, '<!-- m2 -->', '<!-- m2 --> real');
    expect(gh.comments.filter((c) => c.body.includes('<!-- m2 -->')).map((c) => c.user).sort()).toEqual(['github-actions[bot]', 'mallory']);
    expect((await gateway().findStickyComment!(7, '<!-- m2 -->'))?.body).toBe('<!-- m2 --> real');
  });

  it('ends with one comment when two runs race', async () => {
    await Promise.all([gateway('pat').upsertStickyComment(7, '<!-- m3 -->', '<!-- m3 --> x'), gateway('pat').upsertStickyComment(7, '<!-- m3 -->', '<!-- m3 --> x')]);
    expect(gh.comments.filter((c) => c.body.includes('<!-- m3 -->'))).toHaveLength(1);
  });

  it('throws CommentForbiddenError for a read-only token', async () => {
    await expect(gateway('read-only').upsertStickyComment(8, '<!-- m4 -->', 'x')).rejects.toBeInstanceOf(CommentForbiddenError);
  });

  it('sets commit statuses, shortening the description to 140 characters', async () => {
    await gateway().setCommitStatus(HEAD, { state: 'pending', context: 'opsgate/approval', description: 'x'.repeat(200), targetUrl: 'https://example.test/run' });
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

  it('reads permissions, reviews, commits and the PRs of a commit', async () => {
    expect(await gateway().getRepoPermission('bob')).toBe('maintain');
    expect(await gateway().getRepoPermission('zed')).toBe('none');
    gh.addReview(7, { user: 'carol', state: 'APPROVED', commitId: HEAD });
    gh.addCommit(7, { sha: HEAD, author: 'dana', committer: null });
    gh.linkCommit('f'.repeat(40), 7);
    expect(await gateway().listReviews(7)).toMatchObject([{ user: 'carol', state: 'APPROVED', commitId: HEAD }]);
    expect(await gateway().listPullRequestCommits(7)).toEqual([{ sha: HEAD, author: 'dana', committer: null }]);
    expect((await gateway().listPullRequestsForCommit('f'.repeat(40))).map((p) => p.number)).toEqual([7]);
  });

  it('reports requests GitHub would reject', async () => {
    const res = await fetch(`${gh.url}/repos/acme/ops/issues/7/comments`, { method: 'POST', headers: { authorization: 'token pat' }, body: JSON.stringify({ text: 'x' }) });
    expect(res.status).toBe(500);
    expect(gh.violations.splice(0)).toEqual([expect.stringContaining('invalid body for issues/create-comment')]);
  });
});
