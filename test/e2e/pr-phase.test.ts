// The PR phase end to end in-process: real webhook payloads (@octokit/webhooks-examples), the real Octokit
// gateway, and the GitHub stand-in (every request checked against GitHub's OpenAPI description).
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { runPrPhase, type PrPhaseInput } from '../../src/usecases/pr-phase.js';
import type { Reporter } from '../../src/ports/reporter.js';
import type { Diagnostic } from '../../src/runbook/diagnostics.js';
import { PLAN_MARKER } from '../../src/render/plan-comment.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];

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

let gh: GitHubStandin;
const RUN_URL = 'https://github.com/acme/ops/actions/runs/99';
const input = (event: string, action: string, number: number): PrPhaseInput => ({
  eventName: event,
  payload: payload(event, action, number),
  configPath: '.github/opsgate.yml',
  runbooksGlob: 'runbooks/**/*.{yml,yaml}',
  statusContext: 'opsgate/approval',
  workflowRunUrl: RUN_URL,
});
const deps = (token = 'bot') => {
  const { log, reporter } = recordingReporter();
  return { log, deps: { github: createGitHubGateway('acme', 'ops', { token, apiUrl: gh.url }), reporter } };
};

beforeAll(async () => {
  gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });
  gh.addToken('bot', { login: 'github-actions[bot]', user: false });
  gh.addToken('fork', { login: 'github-actions[bot]', user: false, comment: false, statuses: false });
  // 3,000 files, none a runbook.
  gh.addPullRequest({ number: 1, author: 'dana', headSha: '1'.repeat(40), files: Array.from({ length: 3000 }, (_, i) => ({ path: `docs/p${i}.md`, status: 'modified' as const })) });
  // A runbook but no repo config at the head: invalid, fail closed.
  gh.addPullRequest({ number: 2, author: 'dana', headSha: '2'.repeat(40), files: [{ path: 'runbooks/fix.yml', status: 'added' }, { path: 'runbooks/old.yml', status: 'removed' }] });
  gh.setFile('2'.repeat(40), 'runbooks/fix.yml', 'version: 1\ntitle: Fix\n');
  gh.addPullRequest({ number: 3, author: 'eve', headSha: '3'.repeat(40), fork: true, files: [{ path: 'runbooks/fix.yml', status: 'added' }] });
  gh.setFile('3'.repeat(40), 'runbooks/fix.yml', 'version: 1\n');
});
afterEach(() => gh.assertClean());
afterAll(() => gh.close());

describe('PR phase', () => {
  it('a PR without runbooks (3,000 files): success "no runbooks changed", no comment', async () => {
    const { deps: d } = deps();
    const { outcome, result } = await runPrPhase(input('pull_request', 'opened', 1), d);
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'no-runbooks' });
    expect(result.version).toBe(1);
    expect(gh.statuses.filter((s) => s.sha === '1'.repeat(40))).toMatchObject([{ state: 'success', description: 'no runbooks changed', context: 'opsgate/approval', target_url: RUN_URL }]);
    expect(gh.comments.filter((c) => c.issue === 1)).toHaveLength(0);
  });

  it('an invalid PR: failure status, one sticky comment updated in place, deleted runbook listed', async () => {
    const first = deps();
    const r1 = await runPrPhase(input('pull_request', 'opened', 2), first.deps);
    expect(r1.outcome.decision).toBe('refuse');
    expect(r1.outcome.reasonCode).toBe('invalid-config');
    const comments = gh.comments.filter((c) => c.issue === 2);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body.startsWith(PLAN_MARKER)).toBe(true);
    expect(comments[0]!.body).toContain('runbooks/old.yml');
    expect(first.log.annotations.map((a) => a.code)).toContain('config-missing');
    expect(first.log.summary[0]).toContain('.github/opsgate.yml');
    const status = gh.statuses.filter((s) => s.sha === '2'.repeat(40)).at(-1)!;
    expect(status.state).toBe('failure');
    expect(status.target_url).toMatch(/#issuecomment-\d+$/);

    const again = deps();
    await runPrPhase(input('pull_request', 'synchronize', 2), again.deps);
    await runPrPhase(input('pull_request_review', 'submitted', 2), again.deps);
    expect(gh.comments.filter((c) => c.issue === 2).map((c) => c.id)).toEqual([comments[0]!.id]);
  });

  it('two concurrent runs end with one comment', async () => {
    await Promise.all([runPrPhase(input('pull_request', 'synchronize', 2), deps().deps), runPrPhase(input('pull_request', 'synchronize', 2), deps().deps)]);
    expect(gh.comments.filter((c) => c.issue === 2)).toHaveLength(1);
  });

  it('a fork PR with a read-only token: no comment, no status, summary + annotations, not failed for that', async () => {
    const { log, deps: d } = deps('fork');
    const { outcome } = await runPrPhase(input('pull_request', 'opened', 3), d);
    expect(outcome.reasonCode).toBe('invalid-config');
    expect(log.warning.join('\n')).toMatch(/Could not comment on #3.*job summary/);
    expect(log.warning.join('\n')).toMatch(/statuses: write/);
    expect(log.summary).toHaveLength(1);
    expect(gh.comments.filter((c) => c.issue === 3)).toHaveLength(0);
  });

  it('ignores actions it does not handle', async () => {
    const { outcome } = await runPrPhase(input('pull_request', 'labeled', 2), deps().deps);
    expect(outcome).toMatchObject({ decision: 'proceed', reasonCode: 'ok' });
  });
});
