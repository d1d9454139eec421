import { describe, expect, it } from 'vitest';
import { RESULT_COMMENT_MARKER, formatDuration, renderLocalTranscript, renderResultComment } from '../../src/render/result-comment.js';
import type { PullRequestReport, RunbookReport } from '../../src/usecases/merge-report.js';
import { proceed, refuse } from '../../src/run/outcome.js';

const ran: RunbookReport = {
  path: 'runbooks/2026/fix-invoices.yml',
  title: 'Fix invoices <script> for @everyone',
  digest: `sha256:${'a'.repeat(64)}`,
  target: 'billing-db',
  outcome: proceed('ok', 'All 2 steps succeeded.'),
  approvalSummary: '2 of 2 approvals: alice, bob',
  approvers: ['alice', 'bob'],
  window: { notBefore: '2026-11-22T22:00:00+01:00', notAfter: '2026-11-23T02:00:00+01:00' },
  audit: {
    kind: 'cloudwatch',
    description: 'CloudWatch Logs /opsgate/audit, stream acme/ops/pr-12/x',
    consoleUrl: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/x',
    insightsUrl: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3Fq',
  },
  steps: [
    { index: 0, name: 'Count', status: 'succeeded', exitCode: 0, durationMs: 1234, message: 'exited with code 0', outputTail: ['count', '-----', '   42', '```', 'done'] },
    { index: 1, name: 'Update', status: 'failed', exitCode: 3, durationMs: 65_000, message: 'exited with code 3', outputTail: ['ERROR: boom'] },
    { index: 2, name: 'Never', status: 'not-run', exitCode: null, durationMs: null, message: 'not run', outputTail: [] },
  ],
};

const report: PullRequestReport = {
  number: 12,
  url: 'https://github.com/acme/ops/pull/12',
  mergeSha: 'f'.repeat(40),
  outcome: refuse('step-failed', 'Step 2 failed.'),
  runbooks: [ran, { path: 'runbooks/z.yml', outcome: refuse('step-failed', 'runbooks/z.yml did not run: runbooks/2026/fix-invoices.yml before it in this PR did not finish.') }],
  deleted: ['runbooks/old.yml'],
};

describe('renderResultComment', () => {
  const body = renderResultComment(report, { workflowRunUrl: 'https://github.com/acme/ops/actions/runs/1' });

  it('starts with its own marker and names the PR, the outcome and the merge commit', () => {
    expect(body.startsWith(`${RESULT_COMMENT_MARKER}\n## opsgate result for #12: ⛔ step-failed`)).toBe(true);
    expect(body).toContain('Merged as `fffffff` · [workflow run](https://github.com/acme/ops/actions/runs/1)');
  });

  it('shows per runbook who approved, the window, the audit links, and a row per step', () => {
    expect(body).toContain('**Approved:** 2 of 2 approvals: alice, bob');
    expect(body).toContain('**Window:** from 2026-11-22 21:00 UTC (2026-11-22 22:00 +01:00) until 2026-11-23 01:00 UTC (2026-11-23 02:00 +01:00)');
    expect(body).toContain('[log stream](https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/x)');
    expect(body).toContain('[Logs Insights query](');
    expect(body).toContain('| 1 | Count | ✅ succeeded | 0 | 1.2 s | exited with code 0 |');
    expect(body).toContain('| 2 | Update | ❌ failed | 3 | 1m05s | exited with code 3 |');
    expect(body).toContain('| 3 | Never | ⏭️ not-run | – | – | not run |');
    expect(body).toContain('Deleted runbooks (nothing to run): `runbooks/old.yml`');
  });

  it('puts the last lines of output in <details> with a fence the output cannot close', () => {
    expect(body).toContain('<details><summary>Output of step 1: Count</summary>\n\n````text\ncount\n-----\n   42\n```\ndone\n````');
  });

  it('neutralises HTML and @mentions from runbook text', () => {
    expect(body).not.toContain('<script>');
    expect(body).not.toMatch(/@everyone/);
  });

  it('stays under the size limit by cutting output first', () => {
    const huge = { ...ran, steps: ran.steps!.map((s) => ({ ...s, outputTail: Array.from({ length: 20 }, () => 'x'.repeat(900)) })) };
    const big = renderResultComment({ ...report, runbooks: [huge, huge, huge] }, { limit: 30_000 });
    expect(big.length).toBeLessThanOrEqual(30_000);
    expect(big).toContain('| 2 | Update | ❌ failed | 3 |');
    const tiny = renderResultComment({ ...report, runbooks: [huge, huge, huge] }, { limit: 1_000 });
    expect(tiny.length).toBeLessThanOrEqual(1_000);
    expect(tiny).toMatch(/cut to fit a GitHub comment/);
  });

  it('says which comparison proved the digest, and shows the audit chain head', () => {
    const fork = renderResultComment({
      ...report,
      runbooks: [{ ...ran, digestCheck: { against: 'head-commit', headSha: 'b'.repeat(40) }, audit: { ...ran.audit!, chainHead: { seq: 9, sha256: 'c'.repeat(64) } } }],
    });
    expect(fork).toContain(`**Digest:** \`sha256:aaaaaaaaaaaa…\` (equal to the digest at the approved head \`bbbbbbb\`; the PR has no plan comment)`);
    expect(fork).toContain(`**Audit chain head:** event 9, sha256 \`${'c'.repeat(64)}\``);
    const planned = renderResultComment({ ...report, runbooks: [{ ...ran, digestCheck: { against: 'plan-comment', headSha: 'b'.repeat(40) } }] });
    expect(planned).toContain("(equal to the plan comment's for `bbbbbbb`)");
  });

  it('shows per-instance results of a fleet step compactly: grouped by status, failures with exit code', () => {
    const perTarget = [
      ...Array.from({ length: 12 }, (_, i) => ({ id: `i-${String(i).padStart(17, '0')}`, status: 'succeeded' as const, exitCode: 0, message: 'exited with code 0' })),
      { id: 'i-0bad', status: 'failed' as const, exitCode: 2, message: 'exited with code 2' },
      { id: 'i-0gone', status: 'error' as const, exitCode: null, message: 'instance i-0gone is not managed by SSM' },
    ];
    const body = renderResultComment({ ...report, runbooks: [{ ...ran, steps: [{ ...ran.steps![1]!, perTarget }] }] });
    const line = body.split('\n').find((l) => l.startsWith('- Step 2 on 14 instances:'))!;
    expect(line).toContain('✅ 12 succeeded: `i-00000000000000000`');
    expect(line).toContain('and 2 more');
    expect(line).toContain('❌ 1 failed: `i-0bad` (exit 2, exited with code 2)');
    expect(line).toContain('❌ 1 error: `i-0gone` (instance i-0gone is not managed by SSM)');
  });

  it('renders a kept local transcript with its hash, size and how much is shown', () => {
    const text = renderLocalTranscript('runbooks/a.yml', { path: '/tmp/t.jsonl', sha256: 'd'.repeat(64), lines: 10, bytes: 400, tail: '{"seq":9}', tailLines: 1 });
    expect(text).toContain(`(400 bytes, 10 lines, sha256 \`${'d'.repeat(64)}\`). Below: the last 1 of 10 lines.`);
    expect(text).toContain('```json\n{"seq":9}\n```');
  });

  it('formats durations for people', () => {
    expect([formatDuration(null), formatDuration(15), formatDuration(59_940), formatDuration(130_000)]).toEqual(['–', '15 ms', '59.9 s', '2m10s']);
  });
});
