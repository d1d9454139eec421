// `node dist/index.js` as the runner starts it for pull_request events, talking to the GitHub stand-in.
import { createRequire } from 'node:module';
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
});
afterEach(() => gh.assertClean());
afterAll(() => gh.close());

const run = (event: string, action: string, pr: number, token: string) =>
  runAction({ eventName: event, payload: payload(event, action, pr), inputs: { 'github-token': token, mode: 'auto' }, env: { GITHUB_API_URL: gh.url, GITHUB_RUN_ID: '77' }, repository: 'acme/ops' });

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
});
