// The PR phase end to end in-process: real webhook payloads (@octokit/webhooks-examples), the real example
// runbooks, a valid config, the real Octokit gateway, and the GitHub stand-in (every request and reply checked
// against GitHub's OpenAPI description; GitHub's limits enforced).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { MAX_RUNBOOKS_PER_PULL_REQUEST, runPrPhase, type PrPhaseInput } from '../../src/usecases/pr-phase.js';
import type { Reporter } from '../../src/ports/reporter.js';
import type { Diagnostic } from '../../src/runbook/diagnostics.js';
import { GITHUB_COMMENT_LIMIT } from '../../src/render/markdown.js';
import { parseDigestMarkers, PLAN_MARKER } from '../../src/plan/digest-marker.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';
import { EXAMPLE_CONFIG_TEXT } from '../support/example-config.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

function payload(event: string, action: string, number: number): Record<string, unknown> {
  const found = examples.find((e) => e.name === event)!.examples.find((x) => x.action === action)!;
  const copy = structuredClone(found) as Record<string, unknown> & { pull_request: { number: number } };
  copy.pull_request.number = number;
  return copy;
}

function recordingReporter() {
  const log = { info: [] as string[], warning: [] as string[], annotations: [] as Diagnostic[], summary: [] as string[] };
  const reporter: Reporter = {
    info: (m) => void log.info.push(m),
    warning: (m) => void log.warning.push(m),
    annotate: (d) => void log.annotations.push(...d),
    summary: async (m) => void log.summary.push(m),
    mask: () => {},
  };
  return { log, reporter };
}

const CONFIG = EXAMPLE_CONFIG_TEXT;
const BACKFILL = 'runbooks/examples/backfill-invoice-totals.yml';
const ROTATE = 'runbooks/examples/rotate-web-logs.yml';
const CONFIG_PATH = '.github/opsgate.yml';
const RUN_URL = 'https://github.com/acme/ops/actions/runs/99';
const sha = (c: string) => c.repeat(40);

let gh: GitHubStandin;
const input = (event: string, action: string, number: number): PrPhaseInput => ({
  eventName: event,
  payload: payload(event, action, number),
  configPath: CONFIG_PATH,
  runbooksGlob: 'runbooks/**/*.{yml,yaml}',
  statusContext: 'opsgate/approval',
  workflowRunUrl: RUN_URL,
});
const deps = (token = 'bot', signal?: AbortSignal) => {
  const { log, reporter } = recordingReporter();
  return { log, deps: { github: createGitHubGateway('acme', 'ops', { token, apiUrl: gh.url, paceWrites: false, signal }), reporter, signal } };
};
const run = (event: string, action: string, number: number, token = 'bot') => {
  const d = deps(token);
  return runPrPhase(input(event, action, number), d.deps).then((r) => ({ ...r, log: d.log }));
};

/** A PR adding `files` (path -> text) at `head`, with the config, by dana. */
function openPullRequest(number: number, head: string, files: Record<string, string>, extra: { fork?: boolean; config?: string | null } = {}) {
  gh.addPullRequest({ number, author: 'dana', headSha: head, baseSha: sha('0'), fork: extra.fork, files: Object.keys(files).map((path) => ({ path, status: 'added' as const })) });
  if (extra.config !== null) gh.setFile(head, CONFIG_PATH, extra.config ?? CONFIG);
  for (const [path, text] of Object.entries(files)) gh.setFile(head, path, text);
  gh.addCommit(number, { sha: head, author: 'dana', committer: 'dana' });
}
const comments = (issue: number) => gh.comments.filter((c) => c.issue === issue);
const patches = () => gh.requests.filter((r) => r.operationId === 'issues/update-comment').length;

beforeAll(async () => {
  gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });
  gh.addToken('bot', { login: 'github-actions[bot]', user: false });
  gh.addToken('fork', { login: 'github-actions[bot]', user: false, comment: false, statuses: false });
  gh.setFile(sha('0'), CONFIG_PATH, CONFIG);
  for (const login of ['alice', 'carol']) gh.addTeamMember('acme', 'sre', login);
  gh.addTeamMember('acme', 'dba', 'carol');
});
afterEach(() => {
  gh.onRequest = undefined;
  gh.assertClean();
});
afterAll(() => gh.close());

describe('PR phase: the approval status follows reviews and pushes', () => {
  const [H1, H2] = [sha('a'), sha('b')];
  beforeAll(() => openPullRequest(10, H1, { [BACKFILL]: read(BACKFILL), [ROTATE]: read(ROTATE) }));

  it('opened: pending, saying who is still needed; one plan comment with both runbooks', async () => {
    const r = await run('pull_request', 'opened', 10);
    expect(r.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(gh.latestStatus(H1)).toMatchObject({ state: 'pending', description: 'needs one more from alice or @acme/dba who is also @acme/sre (+1 more runbook waiting)' });
    expect(gh.latestStatus(H1)!.target_url).toMatch(/#issuecomment-\d+$/);
    expect(comments(10)).toHaveLength(1);
    expect(parseDigestMarkers(comments(10)[0]!.body).map((d) => d.path)).toEqual([BACKFILL, ROTATE]);
  });

  it('an approval arrives: success, and the comment is edited in place (content changed)', async () => {
    gh.addReview(10, { user: 'carol', state: 'APPROVED', commitId: H1 });
    const before = { id: comments(10)[0]!.id, body: comments(10)[0]!.body, patches: patches() };
    await run('pull_request_review', 'submitted', 10);
    expect(gh.latestStatus(H1)).toMatchObject({ state: 'success', description: 'approved: all 2 runbooks (carol)' });
    expect(patches()).toBe(before.patches + 1);
    expect(comments(10).map((c) => c.id)).toEqual([before.id]);
    expect(comments(10)[0]!.body).not.toBe(before.body);
    expect(comments(10)[0]!.body).toContain('1 of 1 approvals: carol');
  });

  it('the approval is dismissed: pending again', async () => {
    gh.addReview(10, { user: 'carol', state: 'DISMISSED', commitId: H1 });
    await run('pull_request_review', 'dismissed', 10);
    expect(gh.latestStatus(H1)!.state).toBe('pending');
  });

  it('a new push: pending on the new head (the approval on the old head is stale)', async () => {
    gh.addReview(10, { user: 'alice', state: 'APPROVED', commitId: H1 });
    await run('pull_request_review', 'submitted', 10);
    expect(gh.latestStatus(H1)!.state).toBe('success');
    gh.pulls.get(10)!.headSha = H2;
    for (const path of [CONFIG_PATH, BACKFILL, ROTATE]) gh.setFile(H2, path, path === CONFIG_PATH ? CONFIG : read(path));
    const r = await run('pull_request', 'synchronize', 10);
    expect(gh.latestStatus(H2)!.state).toBe('pending');
    expect(r.result.runbooks).toMatchObject([{ path: BACKFILL, approved: false }, { path: ROTATE, approved: false }]);
    expect(comments(10)[0]!.body).toContain(`head=${H2}`);
  });

  it('ignores actions it does not handle, writing nothing', async () => {
    const statuses = gh.statuses.length;
    const { outcome } = await run('pull_request', 'labeled', 10);
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(gh.statuses).toHaveLength(statuses);
  });
});

describe('PR phase: refusals end as a failure status that says what to do', () => {
  it('an invalid runbook: failure, annotated on its line, listed in the comment', async () => {
    openPullRequest(20, sha('c'), { 'runbooks/fix.yml': read('test/fixtures/bad/sql-update-no-where.yml') });
    const r = await run('pull_request', 'opened', 20);
    expect(r.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'lint-failed' });
    expect(gh.latestStatus(sha('c'))).toMatchObject({ state: 'failure', description: '1 runbook(s) have errors: runbooks/fix.yml.' });
    expect(r.log.annotations).toMatchObject([{ file: 'runbooks/fix.yml', code: 'sql-update-without-where', span: { start: { line: 8 } } }]);
    expect(comments(20)[0]!.body).toContain(`https://github.com/acme/ops/blob/${sha('c')}/runbooks/fix.yml#L8`);
  });

  it('a missing config: failure naming the config path, for the config and for each runbook', async () => {
    openPullRequest(21, sha('d'), { 'runbooks/fix.yml': read(ROTATE) }, { config: null });
    const r = await run('pull_request', 'opened', 21);
    expect(r.outcome.reasonCode).toBe('invalid-config');
    const codes = r.log.annotations.map((a) => [a.code, a.message]);
    expect(codes).toContainEqual(['config-missing', `The repo config ${CONFIG_PATH} does not exist at this commit.`]);
    expect(codes).toContainEqual(['config-invalid', expect.stringContaining(`the repo config ${CONFIG_PATH} is missing or invalid`)]);
    expect(gh.latestStatus(sha('d'))!.state).toBe('failure');
  });

  it('a symlinked runbook is a problem on that file, not an internal error', async () => {
    openPullRequest(22, sha('e'), { [ROTATE]: read(ROTATE) });
    gh.pulls.get(22)!.files!.push({ path: 'runbooks/link.yml', status: 'added' });
    gh.setSymlink(sha('e'), 'runbooks/link.yml', '../../etc/passwd');
    const r = await run('pull_request', 'opened', 22);
    expect(r.outcome.reasonCode).toBe('invalid-runbook');
    expect(r.log.annotations).toMatchObject([{ file: 'runbooks/link.yml', code: 'not-a-file', message: expect.stringContaining('is a symlink') }]);
  });

  it(`more than ${MAX_RUNBOOKS_PER_PULL_REQUEST} runbooks: too-many-runbooks, asking to split the PR`, async () => {
    const files = Object.fromEntries(Array.from({ length: MAX_RUNBOOKS_PER_PULL_REQUEST + 1 }, (_, i) => [`runbooks/r${i}.yml`, read(ROTATE)]));
    openPullRequest(23, sha('f'), files);
    const before = gh.requests.length;
    const r = await run('pull_request', 'opened', 23);
    expect(r.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'too-many-runbooks' });
    expect(gh.latestStatus(sha('f'))).toMatchObject({ state: 'failure', description: expect.stringMatching(/changes 51 runbooks.*at most 50/) });
    expect(comments(23)[0]!.body).toMatch(/## opsgate plan: not planned[^]*\[!CAUTION\][^]*Split the pull request/);
    expect(gh.requests.slice(before).filter((q) => q.operationId === 'repos/get-content')).toHaveLength(0);
  });

  it('a PR with 250 commits (GitHub lists no more): too-many-commits, not approved', async () => {
    openPullRequest(24, sha('1'), { [ROTATE]: read(ROTATE) });
    for (let i = 0; i < 260; i++) gh.addCommit(24, { sha: i.toString(16).padStart(40, '9'), author: 'erin', committer: 'erin' });
    gh.addReview(24, { user: 'carol', state: 'APPROVED', commitId: sha('1') });
    const r = await run('pull_request_review', 'submitted', 24);
    expect(r.outcome.reasonCode).toBe('too-many-commits');
    expect(gh.latestStatus(sha('1'))).toMatchObject({ state: 'failure', description: expect.stringContaining('250 or more commits') });
  });

  it('a PR that loosens the approval rules in its own config is still held to the base rules', async () => {
    const loosened = CONFIG.replace('{ required: 1, from: ["@acme/sre"] }', '{ required: 1, from: [mallory] }');
    openPullRequest(25, sha('2'), { [ROTATE]: read(ROTATE) }, { config: loosened });
    gh.pulls.get(25)!.files!.push({ path: CONFIG_PATH, status: 'modified' });
    gh.addReview(25, { user: 'mallory', state: 'APPROVED', commitId: sha('2') });
    const r = await run('pull_request_review', 'submitted', 25);
    expect(r.result.runbooks).toMatchObject([{ approved: false, approval: '0 of 1: needs one more from mallory who is also @acme/sre' }]);
    expect(gh.latestStatus(sha('2'))!.state).toBe('pending');
    expect(comments(25)[0]!.body).toContain('so a pull request cannot loosen the rules it is reviewed under');
  });
});

describe('PR phase: which files are runbooks (the same rule as the merge phase)', () => {
  it('a glob that also matches the repo config: the config is checked as the config, never planned as a runbook', async () => {
    const head = sha('b').replace(/^b/, '3');
    openPullRequest(26, head, { 'ops/rotate.yml': read(ROTATE) });
    gh.pulls.get(26)!.files!.push({ path: CONFIG_PATH, status: 'modified' }, { path: 'ops/old.yml', status: 'removed' });
    const d = deps();
    const r = await runPrPhase({ ...input('pull_request', 'opened', 26), runbooksGlob: '**/*.yml' }, d.deps);
    expect(r.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    // Runbooks to run first, then the deleted ones; the config is neither.
    expect(r.result.runbooks).toEqual([
      expect.objectContaining({ path: 'ops/rotate.yml', status: 'valid', errors: 0 }),
      expect.objectContaining({ path: 'ops/old.yml', status: 'deleted' }),
    ]);
    expect(gh.latestStatus(head)).toMatchObject({ state: 'pending', description: 'needs one more from @acme/sre' });
    expect(d.log.annotations).toEqual([]);
    const body = comments(26)[0]!.body;
    expect(body).toContain('## opsgate plan: 2 runbooks (1 valid, 1 deleted)');
    expect(body).not.toContain(`### ❌ \`${CONFIG_PATH}\``);
    // It is still the config: a PR that changes it is judged by the stricter of its rules and the base's.
    expect(body).toContain(`This pull request changes ${CONFIG_PATH}`);
  });
});

describe('PR phase on pull_request_target (the fork workflow, mode: plan)', () => {
  /** GitHub sends pull_request_target the pull_request payload: here a fork PR whose payload names an older head. */
  const targetInput = (action: string, number: number): PrPhaseInput => {
    const event = input('pull_request', action, number);
    const pr = event.payload.pull_request as { head: { sha: string; repo: { full_name: string } }; base: { repo: { full_name: string } } };
    pr.head.repo.full_name = 'eve/ops';
    pr.base.repo.full_name = 'acme/ops';
    return { ...event, eventName: 'pull_request_target' };
  };

  it('reads the PR head through the API (never the payload, never a checkout) and sets the status with the base token', async () => {
    const head = sha('c').replace(/^c/, '4');
    openPullRequest(47, head, { [ROTATE]: read(ROTATE) }, { fork: true });
    const event = targetInput('opened', 47);
    const payloadHead = (event.payload.pull_request as { head: { sha: string } }).head.sha;
    expect(payloadHead).not.toBe(head);
    const before = gh.requests.length;
    const d = deps();
    const r = await runPrPhase(event, d.deps);
    expect(r.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(r.result).toMatchObject({ headSha: head, runbooks: [{ path: ROTATE, status: 'valid', approved: false }] });
    const reads = gh.requests.slice(before).filter((q) => q.operationId === 'repos/get-content');
    const contents = (path: string) => `/repos/acme/ops/contents/${encodeURIComponent(path)}?ref=${head}`;
    expect(reads.map((q) => q.path)).toEqual([contents(CONFIG_PATH), contents(ROTATE)]);
    expect(gh.latestStatus(head)).toMatchObject({ state: 'pending', description: 'needs one more from @acme/sre', target_url: expect.stringMatching(/#issuecomment-\d+$/) });
    expect(gh.latestStatus(payloadHead)).toBeUndefined();
    expect(comments(47)).toHaveLength(1);
  });

  it('plans the same actions as pull_request and ignores the others', async () => {
    const statuses = gh.statuses.length;
    const requests = gh.requests.length;
    const r = await runPrPhase(targetInput('labeled', 47), deps().deps);
    expect(r.outcome).toMatchObject({ decision: 'proceed', message: 'ignored pull_request_target.labeled' });
    expect(gh.statuses).toHaveLength(statuses);
    expect(gh.requests).toHaveLength(requests);
  });
});

describe('PR phase: size limits', () => {
  it('a 3,000-file PR with a runbook at position 2,999: checked and planned', async () => {
    const files = Array.from({ length: 3000 }, (_, i) => ({ path: `docs/p${i}.md`, status: 'modified' as const }));
    files[2998] = { path: 'runbooks/late.yml', status: 'added' } as never;
    gh.addPullRequest({ number: 30, author: 'dana', headSha: sha('3'), files });
    gh.setFile(sha('3'), CONFIG_PATH, CONFIG);
    gh.setFile(sha('3'), 'runbooks/late.yml', read(ROTATE));
    const r = await run('pull_request', 'opened', 30);
    expect(r.result.runbooks).toMatchObject([{ path: 'runbooks/late.yml', status: 'valid' }]);
    expect(gh.latestStatus(sha('3'))!.state).toBe('pending');
  });

  it('more than 3,000 files: failure asking to split the PR (the files past 3,000 could be runbooks)', async () => {
    gh.addPullRequest({ number: 31, author: 'dana', headSha: sha('4'), files: [{ path: 'docs/a.md', status: 'modified' }], changedFiles: 3001 });
    const r = await run('pull_request', 'opened', 31);
    expect(r.outcome).toMatchObject({ decision: 'refuse', reasonCode: 'too-many-files' });
    expect(gh.latestStatus(sha('4'))).toMatchObject({ state: 'failure', description: expect.stringContaining('3,001 files') });
  });

  it('a runbook too large for one comment: shortened under 65,536 characters, digest kept', async () => {
    const steps = Array.from({ length: 3000 }, (_, i) => `      UPDATE invoices SET total = subtotal WHERE id = ${i};`).join('\n');
    const text = read(BACKFILL).replace('    sql: SELECT count(*) FROM invoices WHERE total IS NULL;\n', `    sql: |\n${steps}\n`);
    openPullRequest(32, sha('5'), { 'runbooks/big.yml': text });
    const r = await run('pull_request', 'opened', 32);
    expect(r.result.runbooks).toMatchObject([{ status: 'valid' }]);
    const body = comments(32)[0]!.body;
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('too long for one GitHub comment');
    expect(parseDigestMarkers(body)).toHaveLength(1);
    expect(r.log.summary[0]!.length).toBeGreaterThan(body.length);
  });

  it('a runbook over 1 MiB: read raw through the gateway, refused as too large', async () => {
    openPullRequest(33, sha('6'), { 'runbooks/huge.yml': `${read(ROTATE)}\n# ${'x'.repeat(1_100_000)}\n` });
    const r = await run('pull_request', 'opened', 33);
    expect(r.log.annotations).toMatchObject([{ file: 'runbooks/huge.yml', code: 'file-too-large' }]);
    expect(gh.latestStatus(sha('6'))!.state).toBe('failure');
  });
});

describe('PR phase: comments, forks and failures', () => {
  it('a fresh PR planned by two runs at once (both see no comment, both create): one comment remains', async () => {
    openPullRequest(40, sha('7'), { [ROTATE]: read(ROTATE) });
    let waiting: (() => void)[] = [];
    gh.onRequest = async (req) => {
      // Hold each run's first comment listing until both have asked, so both decide to create.
      if (req.operationId !== 'issues/list-comments' || comments(40).length > 0 || waiting.length > 1) return;
      await new Promise<void>((release) => {
        waiting.push(release);
        if (waiting.length === 2) waiting.forEach((w) => w());
      });
    };
    await Promise.all([run('pull_request', 'opened', 40), run('pull_request', 'opened', 40)]);
    waiting = [];
    expect(gh.requests.filter((q) => q.operationId === 'issues/create-comment' && q.path.includes('/issues/40/'))).toHaveLength(2);
    expect(comments(40)).toHaveLength(1);
  });

  it('a fork PR with a valid runbook and a read-only token: summary and annotations, not failed for that', async () => {
    openPullRequest(41, sha('8'), { [ROTATE]: read(ROTATE).replace('    continue-on-error: true\n', '    continue-on-error: true\n    timeout: 1m\n') }, { fork: true });
    const r = await run('pull_request', 'opened', 41, 'fork');
    expect(r.outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
    expect(r.log.warning.join('\n')).toMatch(/Could not comment on #41.*HTTP 403.*job summary and the annotations/);
    expect(r.log.warning.join('\n')).toMatch(/Could not set the opsgate\/approval commit status.*statuses: write/);
    expect(r.log.summary[0]).toContain(PLAN_MARKER);
    expect(r.log.summary[0]).toContain('needs one more from @&#8203;acme/sre');
    expect(comments(41)).toHaveLength(0);
  });

  it('a comment error other than 403 (GitHub\'s 422): the status is still set, as error, pointing at the run', async () => {
    openPullRequest(42, sha('9'), { [ROTATE]: read(ROTATE) });
    gh.onRequest = (req) => (req.operationId === 'issues/create-comment' ? { status: 422, message: 'Validation Failed' } : undefined);
    await expect(run('pull_request', 'opened', 42)).resolves.toMatchObject({ outcome: { decision: 'error', reasonCode: 'github-unavailable' } });
    expect(gh.latestStatus(sha('9'))).toMatchObject({ state: 'error', description: expect.stringContaining('GitHub API 422'), target_url: RUN_URL });
  });

  it('the PR cannot be read at all (a token without pull-requests: read): an error status on the head the event named', async () => {
    const event = input('pull_request', 'opened', 46);
    const head = (event.payload.pull_request as { head: { sha: string } }).head.sha;
    // (A 5xx would do the same after the retry plugin's backoff, 14 s of it.)
    gh.onRequest = (req) => (req.operationId === 'pulls/get' ? { status: 403, message: 'Resource not accessible by integration' } : undefined);
    const r = await runPrPhase(event, deps().deps);
    expect(r.outcome).toMatchObject({ decision: 'error', reasonCode: 'github-unavailable' });
    expect(gh.latestStatus(head)).toMatchObject({ state: 'error', description: expect.stringContaining('GitHub API 403') });
  });

  it('a run whose PR moved on while it planned leaves the comment to the newer run', async () => {
    openPullRequest(43, sha('a').replace(/^a/, 'e'), { [ROTATE]: read(ROTATE) });
    const head = gh.pulls.get(43)!.headSha;
    gh.onRequest = (req) => void (req.operationId === 'pulls/list-reviews' && req.path.includes('/pulls/43/') && (gh.pulls.get(43)!.headSha = sha('c').replace(/^c/, 'e')));
    const r = await run('pull_request', 'synchronize', 43);
    expect(comments(43)).toHaveLength(0);
    expect(r.log.info.join('\n')).toMatch(/moved to eccccc/);
    expect(gh.latestStatus(head)!.state).toBe('pending');
  });

  it('a cancelled run writes nothing more', async () => {
    openPullRequest(44, sha('d').replace(/^d/, 'f'), { [ROTATE]: read(ROTATE) });
    const controller = new AbortController();
    gh.onRequest = (req) => void (req.operationId === 'pulls/list-reviews' && controller.abort());
    const d = deps('bot', controller.signal);
    const r = await runPrPhase(input('pull_request', 'opened', 44), d.deps);
    expect(r.outcome.reasonCode).toBe('cancelled');
    expect(comments(44)).toHaveLength(0);
    expect(gh.statuses.filter((s) => s.sha === gh.pulls.get(44)!.headSha)).toHaveLength(0);
  });

  it('a PR without runbooks: success "no runbooks changed", no comment', async () => {
    gh.addPullRequest({ number: 45, author: 'dana', headSha: sha('5').replace(/^5/, 'a'), files: [{ path: 'README.md', status: 'modified' }] });
    const { outcome } = await run('pull_request', 'opened', 45);
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks' });
    expect(gh.latestStatus(gh.pulls.get(45)!.headSha)).toMatchObject({ state: 'success', description: 'no runbooks changed', target_url: RUN_URL });
    expect(comments(45)).toHaveLength(0);
  });
});
