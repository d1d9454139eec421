// The example workflows are part of the product: users copy them. They must set the approval status with the
// least permissions it needs, run on every PR (a required status that is never set blocks the merge button), and
// never run or check out PR code where a write token is around. Parsed with the `yaml` package, not grepped.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Json = Record<string, unknown>;
const root = new URL('../../', import.meta.url);
const load = (path: string) => parse(readFileSync(new URL(path, root), 'utf8')) as Json;

const EXAMPLES = readdirSync(new URL('docs/examples/', root)).filter((f) => f.endsWith('.yml')).map((f) => `docs/examples/${f}`);
const WORKFLOWS = ['.github/workflows/opsgate-plan.yml', '.github/workflows/opsgate-run.yml', ...EXAMPLES];
const kindOf = (path: string) => (/opsgate-plan-forks\.yml$/.test(path) ? 'forks' : /opsgate-plan\.yml$/.test(path) ? 'plan' : /opsgate-run\.yml$/.test(path) ? 'run' : 'unknown');
const byKind = (kind: string) => WORKFLOWS.filter((p) => kindOf(p) === kind);

const PLAN_PERMISSIONS = { contents: 'read', 'pull-requests': 'write', statuses: 'write' };
const RUN_PERMISSIONS = { contents: 'read', 'pull-requests': 'write', 'id-token': 'write' };
const PULL_REQUEST_TYPES = ['opened', 'synchronize', 'reopened', 'ready_for_review'];
const REVIEW_TYPES = ['submitted', 'dismissed'];

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

function stepsOf(workflow: Json): Step[] {
  return Object.values(workflow.jobs as Record<string, { steps?: Step[] }>).flatMap((job) => job.steps ?? []);
}

/** The step that runs opsgate: the published action, or this repository's copy checked out at the base. */
function opsgateSteps(workflow: Json): Step[] {
  return stepsOf(workflow).filter((s) => s.uses !== undefined && (/(^|\/)opsgate@/.test(s.uses) || s.uses === './.opsgate'));
}

function triggers(workflow: Json): Record<string, Json | null> {
  return workflow.on as Record<string, Json | null>;
}

/** A checkout of the PR's own code: its head (sha, ref or repository) or GitHub's merge ref for it. */
function checksOutPullRequestHead(step: Step): boolean {
  if (!step.uses?.startsWith('actions/checkout')) return false;
  const where = `${String(step.with?.ref ?? '')} ${String(step.with?.repository ?? '')}`;
  return /pull_request\.head|github\.head_ref|refs\/pull\/|\/merge\b|\.merge_commit_sha/.test(where);
}

describe('the example workflows', () => {
  it('are all recognised: two plan workflows, the forks workflow, two run workflows', () => {
    expect(WORKFLOWS.map(kindOf).sort()).toEqual(['forks', 'plan', 'plan', 'run', 'run']);
  });

  describe.each([...byKind('plan'), ...byKind('forks')])('plan workflow %s', (path) => {
    const workflow = load(path);
    it('has exactly the permissions the PR phase needs (comment, status, read files), and no job widens them', () => {
      expect(workflow.permissions).toEqual(PLAN_PERMISSIONS);
      for (const job of Object.values(workflow.jobs as Record<string, Json>)) expect(job.permissions).toBeUndefined();
    });
    it('runs opsgate once, with mode: plan', () => {
      expect(opsgateSteps(workflow).map((s) => s.with?.mode)).toEqual(['plan']);
    });
    it('has no paths / paths-ignore filter: the status must be set on every PR', () => {
      for (const [event, filter] of Object.entries(triggers(workflow))) {
        expect(filter ?? {}, `${path}: on.${event}`).not.toHaveProperty('paths');
        expect(filter ?? {}, `${path}: on.${event}`).not.toHaveProperty('paths-ignore');
      }
    });
    it('never checks out the PR head', () => {
      expect(stepsOf(workflow).filter(checksOutPullRequestHead)).toEqual([]);
    });
  });

  describe.each(byKind('plan'))('plan workflow %s', (path) => {
    it('runs on every PR change and every review that moves the status', () => {
      const on = triggers(load(path));
      expect(on.pull_request?.types).toEqual(expect.arrayContaining(PULL_REQUEST_TYPES));
      expect(on.pull_request_review?.types).toEqual(expect.arrayContaining(REVIEW_TYPES));
    });
  });

  describe.each(byKind('forks'))('forks workflow %s', (path) => {
    const workflow = load(path);
    it('runs on pull_request_target for the same PR changes, and on nothing else', () => {
      expect(Object.keys(triggers(workflow))).toEqual(['pull_request_target']);
      expect(triggers(workflow).pull_request_target?.types).toEqual(expect.arrayContaining(PULL_REQUEST_TYPES));
    });
    it('runs no PR content next to the base token: no checkout at all, no shell steps', () => {
      expect(stepsOf(workflow).filter((s) => s.uses?.startsWith('actions/checkout') || s.run !== undefined)).toEqual([]);
    });
  });

  describe.each(byKind('run'))('run workflow %s', (path) => {
    const workflow = load(path);
    it('has exactly the permissions the merge phase needs (result comment, OIDC, read files)', () => {
      expect(workflow.permissions).toEqual(RUN_PERMISSIONS);
      for (const job of Object.values(workflow.jobs as Record<string, Json>)) expect(job.permissions).toBeUndefined();
    });
    it('never cancels a run in progress', () => {
      expect((workflow.concurrency as Json)['cancel-in-progress']).toBe(false);
    });
    it('never runs on pull request events (only reviewed, merged code runs)', () => {
      for (const event of Object.keys(triggers(workflow))) expect(event).not.toMatch(/^pull_request/);
    });
  });
});

describe('checksOutPullRequestHead (the guard above can fail)', () => {
  it.each([
    [{ uses: 'actions/checkout@v5', with: { ref: '${{ github.event.pull_request.head.sha }}' } }, true],
    [{ uses: 'actions/checkout@v5', with: { ref: '${{ github.head_ref }}' } }, true],
    [{ uses: 'actions/checkout@v4', with: { ref: 'refs/pull/${{ github.event.number }}/merge' } }, true],
    [{ uses: 'actions/checkout@v5', with: { repository: '${{ github.event.pull_request.head.repo.full_name }}' } }, true],
    [{ uses: 'actions/checkout@v5', with: { ref: '${{ github.event.pull_request.base.sha }}', path: '.opsgate' } }, false],
    [{ uses: 'actions/checkout@v5' }, false],
    [{ uses: 'owner/opsgate@v1', with: { mode: 'plan' } }, false],
  ] as [Step, boolean][])('%j: %s', (step, expected) => {
    expect(checksOutPullRequestHead(step)).toBe(expected);
  });
});

describe('action.yml', () => {
  it('runs on node24 with dist/index.js as main and post', () => {
    expect(load('action.yml').runs).toMatchObject({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js' });
  });
});
