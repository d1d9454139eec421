// The plan comment, rendered from the real example runbooks through checkRunbook + planRunbook + the approval
// policy with a fixed config: readable markdown, hidden markers the merge phase parses, untrusted text that
// cannot ping anyone, and a size that always fits GitHub's limit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lineCount, renderPlanComment } from '../../src/render/plan-comment.js';
import { parseDigestMarkers, PLAN_MARKER } from '../../src/plan/digest-marker.js';
import { codeFence, GITHUB_COMMENT_LIMIT } from '../../src/render/markdown.js';
import { deletedRunbook, OPSGATE_VERSION, planRunbook, type Plan, type RunbookPlan } from '../../src/plan/plan.js';
import { checkRunbook } from '../../src/runbook/check.js';
import { loadRepoConfig } from '../../src/config/load-repo-config.js';
import { evaluateApprovals, requirementFor, type ApprovalSnapshot } from '../../src/policy/approvals.js';
import type { RepoConfig } from '../../src/runbook/model.js';
import { shownDigestFor } from '../../src/usecases/merge-plan-digest.js';
import { EXAMPLE_CONFIG_TEXT } from '../support/example-config.js';

const HEAD = '3f2a9c1d'.padEnd(40, '0');
const REPO = 'https://github.com/acme/ops';
const RUN = 'https://github.com/acme/ops/actions/runs/4242';
const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

const CONFIG_TEXT = EXAMPLE_CONFIG_TEXT;

function fixedConfig(): RepoConfig {
  const loaded = loadRepoConfig({ path: '.github/opsgate.yml', text: CONFIG_TEXT });
  if (!loaded.value) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.value;
}

const pr = { number: 42, author: 'dana', headSha: HEAD, baseRef: 'main', mergedAt: null, mergeCommitSha: null, fromFork: false, htmlUrl: `${REPO}/pull/42` };

/** A runbook file as the PR phase plans it, with the approval decided by the real policy. */
async function planned(path: string, text: string, snapshot: Partial<ApprovalSnapshot> = {}): Promise<RunbookPlan> {
  const config = fixedConfig();
  const check = await checkRunbook({ path, text }, config);
  const plan = planRunbook(check, config);
  if (check.checked) {
    const requirement = requirementFor(config.policy, check.checked.runbook);
    const decision = evaluateApprovals({ pullRequest: pr, reviews: [], commits: [], teams: {}, permissions: {}, ...snapshot }, requirement);
    plan.approval = { approved: decision.approved, summary: decision.summary, reasonCode: decision.reasonCode, approvers: decision.counted.map((c) => c.login) };
  }
  return plan;
}

function plan(runbooks: RunbookPlan[]): Plan {
  return { headSha: HEAD, pullRequest: 42, configPath: '.github/opsgate.yml', configDiagnostics: [], runbooks, repositoryUrl: REPO, runUrl: RUN, notices: [] };
}

async function examplePlan(): Promise<Plan> {
  const carolApproves: Partial<ApprovalSnapshot> = {
    reviews: [{ id: 1, user: 'carol', state: 'APPROVED', commitId: HEAD, submittedAt: null }],
    teams: { '@acme/sre': { members: ['carol'] } },
  };
  return plan([
    await planned('runbooks/examples/backfill-invoice-totals.yml', read('runbooks/examples/backfill-invoice-totals.yml')),
    await planned('runbooks/examples/rotate-web-logs.yml', read('runbooks/examples/rotate-web-logs.yml'), carolApproves),
    await planned('runbooks/fix-totals.yml', read('test/fixtures/bad/sql-update-no-where.yml')),
    deletedRunbook('runbooks/old.yml'),
  ]);
}

describe('renderPlanComment', () => {
  it('renders the example runbooks (committed snapshot, reviewed for readability)', async () => {
    const body = renderPlanComment(await examplePlan());
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    await expect(body).toMatchFileSnapshot('../fixtures/snapshots/plan-comment.md');
  });

  it('reads well on GitHub: an index first, no empty header rows, the right fences, links to the lines', async () => {
    const body = renderPlanComment(await examplePlan());
    expect(body).not.toMatch(/\|\s+\|\s+\|/);
    expect(body.indexOf('| Runbook | Status |')).toBeLessThan(body.indexOf('### '));
    expect(body).toContain('```sql\nUPDATE invoices');
    expect(body).toContain('```sh\necho "host: $(hostname)"');
    expect(body).not.toContain('```bash');
    expect(body).toMatch(new RegExp(`\\]\\(${REPO}/blob/${HEAD}/runbooks/fix-totals\\.yml#L\\d+\\) \`sql-update-without-where\``));
    expect(body).toContain('no window \\(runs on merge\\)');
    expect(body).toContain('2026-11-23 01:00–03:00 UTC \\(10:00–12:00 \\+09:00\\), 2 h');
    expect(body).toContain('timeout 5m');
    expect(body).toMatch(/Step 1: Show the environment \(2 lines\)/);
    expect(body).toContain(`opsgate ${OPSGATE_VERSION} · [workflow run](${RUN})`);
    // Tables show a short digest; the marker keeps the whole one.
    const [shown] = parseDigestMarkers(body);
    expect(body).toContain(`\`${shown!.digest.slice(0, 19)}\``);
    expect(body.split(shown!.digest)).toHaveLength(2);
  });

  it('writes digest markers the merge phase reads back', async () => {
    const p = await examplePlan();
    const body = renderPlanComment(p);
    expect(parseDigestMarkers(body).map((d) => d.path)).toEqual(['runbooks/examples/backfill-invoice-totals.yml', 'runbooks/examples/rotate-web-logs.yml']);
    expect(shownDigestFor(body, 'runbooks/examples/rotate-web-logs.yml', HEAD)).toEqual({ digest: p.runbooks[1]!.digest });
  });

  it('keeps a path with spaces readable by the merge phase', async () => {
    const rb = await planned('runbooks/with space.yml', read('runbooks/examples/rotate-web-logs.yml'));
    expect(shownDigestFor(renderPlanComment(plan([rb])), 'runbooks/with space.yml', HEAD)).toEqual({ digest: rb.digest });
  });

  it('shows a shell step as it will run, working directory included', async () => {
    const text = read('runbooks/examples/rotate-web-logs.yml').replace('    run: df -h /var/log\n', '    run: df -h .\n    working-directory: /var/log\n');
    const body = renderPlanComment(plan([await planned('runbooks/df.yml', text)]));
    expect(body).toMatch(/\| 2 \| Disk usage after \| shell in `\/var\/log` \|/);
    expect(body).toContain('Step 2: Disk usage after in /var/log (1 line)');
  });

  it('cannot ping anyone: mentions in titles, step names, paths, problems and team names are neutralised', async () => {
    const text = read('runbooks/examples/rotate-web-logs.yml')
      .replace('title: Rotate and compress web logs on the fleet', 'title: "hi @acme/admins"')
      .replace('name: Rotate', 'name: "@bob </summary><h1>x</h1>"');
    const rb = await planned('runbooks/@carol.yml', text);
    rb.diagnostics.push({ file: 'runbooks/@carol.yml', span: { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } }, severity: 'warning', code: 'x', message: 'ask @dave' });
    const body = renderPlanComment(plan([rb]));
    const outsideCode = body.replace(/`[^`\n]*`/g, '').replace(/<!--[^]*?-->/g, '');
    expect(outsideCode).not.toMatch(/@(?!&#8203;)\w/);
    expect(body).toContain('hi @&#8203;acme/admins');
    expect(body).toContain('<summary>Step 1: @&#8203;bob &lt;/summary&gt;&lt;h1&gt;x&lt;/h1&gt; (1 line)</summary>');
    expect(body).toContain('needs one more from @&#8203;acme/sre');
  });

  it('uses a fence longer than any backtick run in the content', () => {
    const fenced = codeFence('a ```` b', 'sql');
    expect(fenced.startsWith('`````sql\n')).toBe(true);
    expect(fenced.endsWith('\n`````')).toBe(true);
  });

  it('counts lines the way a reader does', () => {
    expect(lineCount('echo a\ndate -u\n')).toBe(2);
    expect(lineCount('echo a')).toBe(1);
  });

  it('shortens a runbook too large for one comment, says what was cut, and keeps the digest', async () => {
    const huge = Array.from({ length: 4_000 }, (_, i) => `      INSERT INTO invoices (id) VALUES (${i});`).join('\n');
    const text = read('runbooks/examples/backfill-invoice-totals.yml').replace('    sql: SELECT count(*) FROM invoices WHERE total IS NULL;\n', `    sql: |\n${huge}\n`);
    const rb = await planned('runbooks/huge.yml', text);
    expect(rb.status).toBe('valid');
    const body = renderPlanComment(plan([rb]), { fullPlanUrl: RUN });
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('too long for one GitHub comment');
    expect(body).toMatch(/runbooks\/huge\.yml step 2 \\\(shown \d+ of 4000 lines/);
    expect(body).toContain(`[job summary](${RUN})`);
    expect(shownDigestFor(body, 'runbooks/huge.yml', HEAD)).toEqual({ digest: rb.digest });
  });

  it('fits the most runbooks a PR may have, each with many problems, under the limit with every marker', async () => {
    const rb = await planned('runbooks/x.yml', read('runbooks/examples/backfill-invoice-totals.yml'));
    const noisy = Array.from({ length: 80 }, (_, i) => ({ file: 'x', span: { start: { line: i + 1, column: 1 }, end: { line: i + 1, column: 9 } }, severity: 'warning' as const, code: 'sql-ddl', message: 'ALTER TABLE takes a lock on a long path '.repeat(3) }));
    const many = Array.from({ length: 50 }, (_, i) => ({ ...rb, path: `runbooks/a-rather-long-directory-name/incident-${i}-${'x'.repeat(40)}.yml`, diagnostics: noisy }));
    const body = renderPlanComment(plan(many));
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(parseDigestMarkers(body)).toHaveLength(50);
  });

  it('refuses to render what cannot fit rather than post a comment GitHub rejects', async () => {
    const rb = await planned('runbooks/x.yml', read('runbooks/examples/backfill-invoice-totals.yml'));
    const far = Array.from({ length: 450 }, (_, i) => ({ ...rb, path: `runbooks/${'d'.repeat(60)}/r${i}.yml` }));
    expect(() => renderPlanComment(plan(far))).toThrow(/does not fit/);
  });

  it('measures the job summary in bytes', async () => {
    const rb = await planned('runbooks/ü.yml', read('runbooks/examples/rotate-web-logs.yml'));
    const body = renderPlanComment(plan([rb]), { budget: 4000, measure: (t) => Buffer.byteLength(t) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4000);
  });

  it('names the version that wrote it (kept equal to package.json)', () => {
    expect(OPSGATE_VERSION).toBe((JSON.parse(read('package.json')) as { version: string }).version);
  });
});
