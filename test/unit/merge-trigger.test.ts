import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { mergeQueuePullRequest, mergeTriggerFromEvent, pushChangedPaths } from '../../src/usecases/merge-trigger.js';
import { RefusalError } from '../../src/run/outcome.js';
import { shownDigestFor } from '../../src/usecases/merge-plan-digest.js';
import { parseDigestMarkers as parseShownDigests } from '../../src/plan/digest-marker.js';
import { selectRunbookFiles } from '../../src/usecases/runbook-files.js';

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples/api.github.com/index.json') as Example[];
const example = (name: string, pick: (e: Record<string, unknown>) => boolean = () => true) =>
  structuredClone(examples.find((e) => e.name === name)!.examples.find(pick)!);

describe('mergeTriggerFromEvent', () => {
  it('reads a real push payload: sha, branch, default branch and the paths it touched', () => {
    const payload = example('push', (e) => String(e.ref).startsWith('refs/heads/'));
    const trigger = mergeTriggerFromEvent('push', payload, 'ignored');
    expect(trigger).toMatchObject({ kind: 'push', sha: payload.after, branch: String(payload.ref).slice(11) });
    expect(trigger.kind === 'push' && trigger.defaultBranch).toBe((payload.repository as { default_branch?: string }).default_branch ?? 'main');
    expect(trigger.kind === 'push' && trigger.commitIds).toEqual((payload.commits as { id: string }[]).map((c) => c.id));
  });

  it('collects added and modified paths across commits, not removed ones', () => {
    const payload = {
      commits: [
        { added: ['runbooks/b.yml'], modified: ['README.md'], removed: ['runbooks/gone.yml'] },
        { added: [], modified: ['runbooks/a.yml', 'runbooks/b.yml'], removed: [] },
      ],
    };
    expect(pushChangedPaths(payload)).toEqual(['README.md', 'runbooks/a.yml', 'runbooks/b.yml']);
  });

  it('reads the PR number of a real merge_group payload from its queue branch', () => {
    const payload = example('merge_group');
    const trigger = mergeTriggerFromEvent('merge_group', payload, 'x');
    expect(trigger).toMatchObject({ kind: 'merge-group', pullRequest: 104, sha: (payload.merge_group as { head_sha: string }).head_sha });
    expect(mergeQueuePullRequest('refs/heads/feature')).toBeNull();
  });

  it('takes the "pull-request" input of workflow_dispatch and refuses a non-number', () => {
    const payload = example('workflow_dispatch');
    expect(mergeTriggerFromEvent('workflow_dispatch', { ...payload, inputs: { 'pull-request': '#42' } }, 'abc')).toMatchObject({ kind: 'recheck', pullRequest: 42, sha: 'abc' });
    expect(mergeTriggerFromEvent('workflow_dispatch', payload, 'abc')).toMatchObject({ kind: 'recheck', pullRequest: null });
    expect(() => mergeTriggerFromEvent('workflow_dispatch', { inputs: { 'pull-request': 'main' } }, 'abc')).toThrow(/number of a merged pull request/);
    expect(() => mergeTriggerFromEvent('workflow_dispatch', { inputs: { 'pull-request': 'main' } }, 'abc')).toThrow(RefusalError);
  });

  it('takes the default branch of a schedule (whose payload names no repository) from GITHUB_REF_NAME, never assuming "main"', () => {
    expect(mergeTriggerFromEvent('schedule', { schedule: '0 * * * *' }, 'abc', 'master')).toMatchObject({ kind: 'recheck', pullRequest: null, event: 'schedule', defaultBranch: 'master' });
    expect(() => mergeTriggerFromEvent('schedule', {}, 'abc')).toThrow(/does not name the repository's default branch/);
    // workflow_dispatch runs on the branch picked in the UI, so its ref name is never taken for the default branch.
    expect(mergeTriggerFromEvent('workflow_dispatch', example('workflow_dispatch', (e) => e.ref === 'refs/heads/master'), 'abc', 'feature')).toMatchObject({ defaultBranch: 'master' });
  });
});

describe('the digest shown in the plan comment', () => {
  const head = 'a'.repeat(40);
  const digest = `sha256:${'1'.repeat(64)}`;
  const body = `<!-- opsgate:plan -->\n## Plan\n<!-- opsgate:digest path=runbooks/a%20b.yml ${digest} head=${head} -->\n<!-- opsgate:digest path=runbooks/c.yml sha256:${'2'.repeat(64)} head=${'b'.repeat(40)} -->`;

  it('parses every marker, decoding encoded paths', () => {
    expect(parseShownDigests(body)).toEqual([
      { path: 'runbooks/a b.yml', digest, head },
      { path: 'runbooks/c.yml', digest: `sha256:${'2'.repeat(64)}`, head: 'b'.repeat(40) },
    ]);
  });

  it('returns the digest for the approved head, and says why when there is none', () => {
    expect(shownDigestFor(body, 'runbooks/a b.yml', head)).toEqual({ digest });
    expect(shownDigestFor(body, 'runbooks/c.yml', head)).toEqual({ missing: expect.stringMatching(/for commit bbbbbbb, not for the approved head aaaaaaa/) });
    expect(shownDigestFor(body, 'runbooks/x.yml', head)).toEqual({ missing: expect.stringMatching(/does not list runbooks\/x.yml/) });
    expect(shownDigestFor(null, 'runbooks/a b.yml', head)).toEqual({ missing: expect.stringMatching(/no opsgate plan comment/) });
  });
});

describe('runbooks of a PR', () => {
  it('keeps added and changed runbooks in path order; lists deleted ones apart', () => {
    const files = selectRunbookFiles(
      [
        { path: 'runbooks/z.yml', status: 'added' },
        { path: 'runbooks/sub/a.yaml', status: 'modified' },
        { path: 'runbooks/old.yml', status: 'removed' },
        { path: 'runbooks/new.yml', status: 'renamed', previousPath: 'runbooks/was.yml' },
        { path: 'README.md', status: 'modified' },
      ],
      'runbooks/**/*.{yml,yaml}',
      '.github/opsgate.yml',
    );
    expect(files).toEqual({ toRun: ['runbooks/new.yml', 'runbooks/sub/a.yaml', 'runbooks/z.yml'], deleted: ['runbooks/old.yml'] });
  });
});
