// The digest lines of the plan comment: what the PR phase writes, the merge phase reads back exactly, whatever
// the file name, and no file name can end the hidden HTML comment early.
import { describe, expect, it } from 'vitest';
import { digestMarker, parseDigestMarkers, PLAN_MARKER } from '../../src/plan/digest-marker.js';
import type { Plan, RunbookPlan } from '../../src/plan/plan.js';
import { renderPlanComment } from '../../src/render/plan-comment.js';
import { shownDigestFor } from '../../src/usecases/merge-plan-digest.js';

const HEAD = '3f2a9c1d'.padEnd(40, '0');
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const PATHS = [
  'runbooks/plain.yml',
  'runbooks/with space.yml',
  'runbooks/  two  spaces .yml',
  'runbooks/日本語/ログ回転.yml',
  'runbooks/émoji 🚀.yaml',
  'runbooks/end --> visible.yml',
  'runbooks/-->',
  'runbooks/<!-- opsgate:digest path=x sha256:0 head=0 -->.yml',
  'runbooks/100%25 literal %41.yml',
  'runbooks/bad%zz.yml',
  'runbooks/reserved #?;:@&=+$,.yml',
  'runbooks/quote "x" and \'y\'.yml',
  'runbooks/new\nline\ttab.yml',
  'runbooks/back\\slash.yml',
];

describe('digest marker round trip', () => {
  it.each(PATHS)('reads back %j exactly', (path) => {
    const line = digestMarker(path, digest('a'), HEAD);
    expect(parseDigestMarkers(`${PLAN_MARKER}\n${line}\n## opsgate plan`)).toEqual([{ path, digest: digest('a'), head: HEAD }]);
  });

  it.each(PATHS)('keeps %j inside one hidden comment: a single line, "-->" only at its end', (path) => {
    const line = digestMarker(path, digest('a'), HEAD);
    expect(line).not.toContain('\n');
    expect(line.indexOf('-->')).toBe(line.length - 3);
    expect(line.startsWith('<!-- opsgate:digest path=')).toBe(true);
  });

  it('reads every line of a comment in order, several runbooks and heads', () => {
    const body = [PLAN_MARKER, ...PATHS.map((p, i) => digestMarker(p, digest(String(i % 10)), i % 2 ? HEAD : 'b'.repeat(40))), '## opsgate plan'].join('\n');
    expect(parseDigestMarkers(body)).toEqual(PATHS.map((path, i) => ({ path, digest: digest(String(i % 10)), head: i % 2 ? HEAD : 'b'.repeat(40) })));
  });

  it('ignores lines opsgate did not write: a visible copy, a short digest, a path that does not decode', () => {
    const ours = digestMarker('runbooks/a.yml', digest('c'), HEAD);
    const body = [
      '`<!-- opsgate:digest path=runbooks/a.yml sha256:abc head=abcdef1 -->`',
      `<!-- opsgate:digest path=runbooks/%E0%A4%A.yml ${digest('d')} head=${HEAD} -->`,
      ours,
    ].join('\n');
    expect(parseDigestMarkers(body)).toEqual([{ path: 'runbooks/a.yml', digest: digest('c'), head: HEAD }]);
  });

  it('refuses to write a line the parser could not read back, naming the runbook', () => {
    expect(() => digestMarker('runbooks/a.yml', 'sha256:short', HEAD)).toThrow(/"sha256:short" is not a "sha256:<64 hex>" digest \(runbook runbooks\/a.yml\)/);
    expect(() => digestMarker('runbooks/a.yml', digest('a'), 'HEAD')).toThrow(/"HEAD" is not a commit sha/);
    expect(() => digestMarker('runbooks/\ud800.yml', digest('a'), HEAD)).toThrow(/not well-formed Unicode/);
  });

  it('round-trips through the rendered plan comment: the merge phase finds each runbook on the head', () => {
    const runbooks: RunbookPlan[] = PATHS.map((path, i) => ({ path, status: 'valid', steps: [], diagnostics: [], digest: digest(String(i % 10)) }));
    const plan: Plan = { headSha: HEAD, pullRequest: 1, runbooks, configDiagnostics: [], configPath: '.github/opsgate.yml' };
    const body = renderPlanComment(plan);
    for (const [i, path] of PATHS.entries()) expect(shownDigestFor(body, path, HEAD)).toEqual({ digest: digest(String(i % 10)) });
  });
});
