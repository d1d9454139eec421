// The plan comment: readable markdown, hidden markers the merge phase parses, and graceful truncation.
import { describe, expect, it } from 'vitest';
import { PLAN_MARKER, renderPlanComment } from '../../src/render/plan-comment.js';
import { codeFence } from '../../src/render/markdown.js';
import { GITHUB_COMMENT_LIMIT } from '../../src/render/markdown.js';
import { deletedRunbook, type Plan, type RunbookPlan } from '../../src/plan/plan.js';
import { PLAN_COMMENT_MARKER, parseShownDigests, shownDigestFor } from '../../src/usecases/merge-plan-digest.js';

const HEAD = '3f2a9c1d'.padEnd(40, '0');
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const span = { start: { line: 9, column: 5 }, end: { line: 9, column: 20 } };

function sqlRunbook(sql: string, path = 'runbooks/2026-11-refund-fix.yml'): RunbookPlan {
  return {
    path,
    status: 'valid',
    title: 'Refund duplicated charges (INC-4411)',
    ticket: 'INC-4411',
    targetName: 'billing-api',
    target: { kind: 'ecs', name: 'billing-api', cluster: 'prod', service: 'billing-api', container: 'app', region: 'eu-west-1' },
    window: { notBefore: '2026-11-24T09:00:00+01:00', notBeforeUtc: '2026-11-24T08:00:00Z', notAfter: '2026-11-24T11:00:00+01:00', notAfterUtc: '2026-11-24T10:00:00Z' },
    digest: DIGEST,
    approval: { approved: false, summary: '1 of 2: needs one more from @acme/dba' },
    diagnostics: [{ file: path, span, severity: 'warning', code: 'sql-ddl', message: 'ALTER TABLE takes a lock.' }],
    steps: [
      {
        index: 0,
        name: 'Fix refunds',
        kind: 'sql',
        body: sql,
        database: 'billing',
        timeoutSeconds: 300,
        continueOnError: false,
        transaction: true,
        maxAffectedRows: 500,
        statements: [{ class: 'dml', kind: 'UPDATE' }],
      },
    ],
  };
}

function examplePlan(): Plan {
  const shell: RunbookPlan = {
    path: 'runbooks/rotate-cache.yml',
    status: 'valid',
    title: 'Flush the session cache',
    targetName: 'web-fleet',
    target: { kind: 'ssm', name: 'web-fleet', tags: { role: 'web', env: 'prod' }, maxConcurrency: '25%', maxErrors: '1' },
    digest: `sha256:${'cd'.repeat(32)}`,
    approval: { approved: true, summary: '1 of 1 approvals: carol' },
    diagnostics: [],
    steps: [{ index: 0, name: 'Flush', kind: 'shell', body: 'redis-cli -h "$REDIS_HOST" FLUSHDB\necho "done `date`"', timeoutSeconds: 60, continueOnError: true, statements: [] }],
  };
  const invalid: RunbookPlan = {
    path: 'runbooks/broken.yml',
    status: 'invalid',
    steps: [],
    diagnostics: [{ file: 'runbooks/broken.yml', span, severity: 'error', code: 'sql-update-without-where', message: 'UPDATE without WHERE changes every row.', fix: 'Add a WHERE clause.' }],
  };
  return {
    headSha: HEAD,
    pullRequest: 42,
    configPath: '.github/opsgate.yml',
    configDiagnostics: [],
    runbooks: [sqlRunbook("UPDATE charges SET refunded = true\nWHERE id IN (SELECT id FROM dupes) AND note <> '```';"), shell, invalid, deletedRunbook('runbooks/old.yml')],
  };
}

describe('renderPlanComment', () => {
  it('renders the example plan (committed snapshot, reviewed for readability)', async () => {
    const body = renderPlanComment(examplePlan());
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    expect(PLAN_MARKER).toBe(PLAN_COMMENT_MARKER);
    await expect(body).toMatchFileSnapshot('../fixtures/snapshots/plan-comment.md');
  });

  it('writes digest markers the merge phase reads back', () => {
    const body = renderPlanComment(examplePlan());
    expect(parseShownDigests(body).map((d) => d.path)).toEqual(['runbooks/2026-11-refund-fix.yml', 'runbooks/rotate-cache.yml']);
    expect(shownDigestFor(body, 'runbooks/2026-11-refund-fix.yml', HEAD)).toEqual({ digest: DIGEST });
  });

  it('keeps a path with spaces readable by the merge phase', () => {
    const plan = { ...examplePlan(), runbooks: [sqlRunbook('SELECT 1;', 'runbooks/with space.yml')] };
    expect(shownDigestFor(renderPlanComment(plan), 'runbooks/with space.yml', HEAD)).toEqual({ digest: DIGEST });
  });

  it('uses a fence longer than any backtick run in the content', () => {
    const fenced = codeFence('a ```` b', 'sql');
    expect(fenced.startsWith('`````sql\n')).toBe(true);
    expect(fenced.endsWith('\n`````')).toBe(true);
  });

  it('shortens a runbook too large for one comment, says what was cut, and keeps the digest', () => {
    const huge = Array.from({ length: 20_000 }, (_, i) => `INSERT INTO t VALUES (${i}, 'row ${i}');`).join('\n');
    const body = renderPlanComment({ ...examplePlan(), runbooks: [sqlRunbook(huge)] }, { fullPlanUrl: 'https://github.com/acme/ops/actions/runs/1' });
    expect(body.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(body).toContain('too long for one GitHub comment');
    expect(body).toMatch(/runbooks\/2026-11-refund-fix\.yml step 1 \\\(shown \d+ of 20000 lines/);
    expect(body).toContain('[job summary](https://github.com/acme/ops/actions/runs/1)');
    expect(shownDigestFor(body, 'runbooks/2026-11-refund-fix.yml', HEAD)).toEqual({ digest: DIGEST });
  });

  it('falls back to an index when even step-less sections do not fit', () => {
    const many = Array.from({ length: 300 }, (_, i) => sqlRunbook('SELECT 1;', `runbooks/r${i}.yml`));
    const body = renderPlanComment({ ...examplePlan(), runbooks: many });
    expect(body.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(parseShownDigests(body)).toHaveLength(300);
  });
});
