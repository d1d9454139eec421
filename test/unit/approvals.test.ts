import { describe, expect, it } from 'vitest';
import { evaluateApprovals, requirementFor, type ApprovalSnapshot, type EffectiveRequirement } from '../../src/policy/approvals.js';
import { fetchApprovalSnapshot, readBaseApprovalRules } from '../../src/policy/approval-snapshot.js';
import { DEFAULT_APPROVAL_RULES, stricterApprovals, withStricterApprovals } from '../../src/policy/stricter-policy.js';
import type { ApprovalRules } from '../../src/policy/approvals.js';
import { compareWithReviewed } from '../../src/usecases/merge-plan-digest.js';
import {
  TeamMembershipUnreadableError,
  type CommitPeople,
  type GitHubGateway,
  type PullRequestInfo,
  type RepoPermission,
  type Review,
  type ReviewState,
} from '../../src/ports/github.js';
import type { Policy, Runbook } from '../../src/runbook/model.js';

const HEAD = 'b'.repeat(40);
const OLD = 'a'.repeat(40);
const pr: PullRequestInfo = {
  number: 7,
  author: 'olivia',
  headSha: HEAD,
  baseRef: 'main',
  mergedAt: null,
  mergeCommitSha: null,
  fromFork: false,
  htmlUrl: 'https://github.com/acme/ops/pull/7',
};

let nextId = 1;
function review(user: string, state: ReviewState, commitId = HEAD): Review {
  return { id: nextId++, user, state, commitId, submittedAt: '2026-11-22T10:00:00Z' };
}

function snapshot(reviews: Review[], extra: Partial<ApprovalSnapshot> = {}): ApprovalSnapshot {
  const commits: CommitPeople[] = [{ sha: HEAD, author: 'olivia', committer: 'web-flow' }];
  return { pullRequest: pr, reviews, commits, teams: {}, permissions: {}, ...extra };
}

const two = (from: string[] = ['alice', 'bob', 'carol', '@acme/dba']): EffectiveRequirement => ({ required: 2, from, allowStale: false });
const one = (from: string[] = ['alice', 'bob', 'carol']): EffectiveRequirement => ({ required: 1, from, allowStale: false });

interface Case {
  name: string;
  snapshot: ApprovalSnapshot;
  requirement: EffectiveRequirement;
  approved: boolean;
  reason: string;
  summary?: string | RegExp;
  message?: RegExp;
}

const cases: Case[] = [
  { name: 'no review', snapshot: snapshot([]), requirement: one(), approved: false, reason: 'not-approved', summary: '0 of 1: needs one more from alice or bob or carol' },
  {
    name: 'self-approval by the PR author',
    snapshot: snapshot([review('olivia', 'APPROVED')]),
    requirement: one(['olivia', 'alice']),
    approved: false,
    reason: 'self-approval',
    message: /Two-person rule: olivia/,
  },
  {
    name: 'approval by a committer who is not the PR author',
    snapshot: snapshot([review('dave', 'APPROVED')], { commits: [{ sha: HEAD, author: 'olivia', committer: 'dave' }] }),
    requirement: one(['dave', 'alice']),
    approved: false,
    reason: 'self-approval',
    message: /dave wrote or committed/,
  },
  {
    name: 'stale approval after a new push',
    snapshot: snapshot([review('alice', 'APPROVED', OLD)]),
    requirement: one(),
    approved: false,
    reason: 'stale-approval',
    message: /alice approved aaaaaaa, but the head is now bbbbbbb/,
  },
  {
    name: 'stale approval allowed by policy',
    snapshot: snapshot([review('alice', 'APPROVED', OLD)]),
    requirement: { ...one(), allowStale: true },
    approved: true,
    reason: 'ok',
    summary: '1 of 1 approvals: alice',
  },
  { name: 'approval then dismissal', snapshot: snapshot([review('alice', 'APPROVED'), review('alice', 'DISMISSED')]), requirement: one(), approved: false, reason: 'not-approved' },
  {
    name: 'approval then changes requested by another',
    snapshot: snapshot([review('alice', 'APPROVED'), review('bob', 'CHANGES_REQUESTED')]),
    requirement: one(),
    approved: false,
    reason: 'changes-requested',
    message: /Changes requested by bob/,
  },
  {
    name: 'changes requested then approval by the same person',
    snapshot: snapshot([review('bob', 'CHANGES_REQUESTED'), review('bob', 'COMMENTED'), review('bob', 'APPROVED')]),
    requirement: one(),
    approved: true,
    reason: 'ok',
  },
  {
    name: 'a comment after an approval keeps the approval',
    snapshot: snapshot([review('alice', 'APPROVED'), review('alice', 'COMMENTED'), review('alice', 'PENDING')]),
    requirement: one(),
    approved: true,
    reason: 'ok',
  },
  {
    name: 'two approvals where one is not in from',
    snapshot: snapshot([review('alice', 'APPROVED'), review('mallory', 'APPROVED')]),
    requirement: two(['alice', 'bob']),
    approved: false,
    reason: 'approver-not-eligible',
    summary: '1 of 2: needs one more from alice or bob',
    message: /Not eligible: mallory/,
  },
  {
    name: 'team approval with membership readable',
    snapshot: snapshot([review('alice', 'APPROVED'), review('erin', 'APPROVED')], { teams: { '@acme/dba': { members: ['erin'] } } }),
    requirement: two(),
    approved: true,
    reason: 'ok',
    summary: '2 of 2 approvals: alice, erin',
  },
  {
    name: 'team approval with membership unreadable (the team matters)',
    snapshot: snapshot([review('alice', 'APPROVED'), review('erin', 'APPROVED')], { teams: { '@acme/dba': { unreadable: 'HTTP 403 from GitHub' } } }),
    requirement: two(),
    approved: false,
    reason: 'team-membership-unreadable',
    message: /members-token.*Members: read.*read:org/,
  },
  {
    name: 'team unreadable but enough approvals from readable entries',
    snapshot: snapshot([review('alice', 'APPROVED'), review('bob', 'APPROVED'), review('erin', 'APPROVED')], {
      teams: { '@acme/dba': { unreadable: 'HTTP 403' } },
    }),
    requirement: two(),
    approved: true,
    reason: 'ok',
    summary: '2 of 2 approvals: alice, bob',
  },
  {
    name: 'enough for the repo policy but not for the runbook (stricter count)',
    snapshot: snapshot([review('alice', 'APPROVED')], { permissions: { alice: 'write' } }),
    requirement: requirementFor(policy(1, []), runbook({ required: 2 })),
    approved: false,
    reason: 'not-approved',
    summary: '1 of 2: needs one more from someone with write access to the repository',
  },
  {
    name: 'runbook from tightens the policy from: approver must satisfy both',
    snapshot: snapshot([review('alice', 'APPROVED'), review('zed', 'APPROVED')], { teams: { '@acme/dba': { members: ['zed'] } } }),
    requirement: requirementFor(policy(1, ['alice', 'bob']), runbook({ from: ['@acme/dba'] })),
    approved: false,
    reason: 'approver-not-eligible',
    message: /alice, zed approved but are not @acme\/dba who is also alice or bob/,
  },
  {
    name: 'the same people named by the runbook and the policy: said once',
    snapshot: snapshot([]),
    requirement: requirementFor(policy(1, ['alice', 'bob']), runbook({ from: ['Bob', '@alice'] })),
    approved: false,
    reason: 'not-approved',
    summary: '0 of 1: needs one more from Bob or alice',
  },
  {
    name: 'a PR with 250 commits (GitHub lists no more): committers could be missed, so refused',
    snapshot: snapshot([review('alice', 'APPROVED')], { commits: Array.from({ length: 250 }, (_, i) => ({ sha: String(i), author: 'olivia', committer: 'olivia' })) }),
    requirement: one(),
    approved: false,
    reason: 'too-many-commits',
    message: /250 or more commits.*squash the branch or split the pull request/,
  },
  {
    name: 'a stricter base policy combined with a loosened head: the base list still applies',
    snapshot: snapshot([review('mallory', 'APPROVED')]),
    requirement: requirementFor({ approvals: stricterApprovals(rules(2, ['alice', 'bob']), rules(1, ['mallory'])) }, runbook(undefined)),
    approved: false,
    reason: 'approver-not-eligible',
    summary: '0 of 2: needs two more from mallory who is also alice or bob',
  },
  {
    name: 'no from: write permission counts, read does not',
    snapshot: snapshot([review('alice', 'APPROVED'), review('rita', 'APPROVED')], { permissions: { alice: 'write', rita: 'read' } }),
    requirement: { required: 2, from: [], allowStale: false },
    approved: false,
    reason: 'approver-not-eligible',
    summary: '1 of 2: needs one more from someone with write access to the repository',
  },
  {
    name: 'logins compare case-insensitively',
    snapshot: snapshot([review('Alice', 'APPROVED')]),
    requirement: one(['alice']),
    approved: true,
    reason: 'ok',
  },
];

function policy(required: number, from: string[]): Policy {
  return {
    approvals: { required, from, allowStale: false },
    denyCommands: [],
    sqlRules: { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'error', truncate: 'error', ddl: 'warning' },
    redact: [],
  };
}

function rules(required: number, from: string[], allowStale = false): ApprovalRules {
  return { required, from, allowStale };
}

function runbook(approvals: Runbook['approvals']): Runbook {
  return { path: 'runbooks/x.yml', version: 1, title: 'x', target: 'local', steps: [], approvals };
}

describe('evaluateApprovals', () => {
  it.each(cases)('$name', (c) => {
    const decision = evaluateApprovals(c.snapshot, c.requirement);
    expect({ approved: decision.approved, reason: decision.reasonCode }).toEqual({ approved: c.approved, reason: c.reason });
    if (c.summary) expect(decision.summary).toMatch(c.summary);
    if (c.message) expect(decision.message).toMatch(c.message);
    if (decision.approved) expect(decision.counted.length).toBeGreaterThanOrEqual(decision.required);
    if (!decision.approved) expect(decision.message).toMatch(/To proceed|must approve/);
  });

  it('requirementFor takes the larger count and records both from lists', () => {
    const r = requirementFor(policy(2, ['@acme/sre']), runbook({ required: 1, from: ['@acme/dba'] }));
    expect(r).toEqual({ required: 2, from: ['@acme/dba'], allowStale: false, alsoFrom: [['@acme/sre']] });
    expect(requirementFor(policy(1, ['@acme/sre']), runbook(undefined))).toEqual({ required: 1, from: ['@acme/sre'], allowStale: false });
  });
});

describe('stricterApprovals (a PR that changes the config is held to the base rules too)', () => {
  it('takes the larger count, every list, and stale approvals only when both allow them', () => {
    expect(stricterApprovals(rules(2, ['@acme/dba'], true), rules(1, ['mallory'], true))).toEqual({ required: 2, from: ['mallory'], alsoFrom: [['@acme/dba']], allowStale: true });
    expect(stricterApprovals(rules(1, [], true), rules(1, [], false)).allowStale).toBe(false);
  });

  it('keeps write access required when the base named nobody and the head names people', () => {
    const r = requirementFor({ approvals: stricterApprovals(rules(1, []), rules(1, ['mallory'])) }, runbook(undefined));
    expect(r).toMatchObject({ from: ['mallory'], writeAccess: true });
    const read = evaluateApprovals(snapshot([review('mallory', 'APPROVED')], { permissions: { mallory: 'read' } }), r);
    expect(read).toMatchObject({ approved: false, reasonCode: 'approver-not-eligible' });
    expect(read.message).toMatch(/mallory, with write access to the repository/);
    expect(evaluateApprovals(snapshot([review('mallory', 'APPROVED')], { permissions: { mallory: 'write' } }), r).approved).toBe(true);
  });

  it('changes nothing when base and head agree', () => {
    expect(stricterApprovals(rules(2, ['alice', 'bob']), rules(2, ['bob', 'alice']))).toEqual(rules(2, ['bob', 'alice']));
    const p = policy(1, ['alice']);
    expect(withStricterApprovals(p, undefined)).toBe(p);
  });

  it('reads the base rules, falling back to the default floor without a valid config there', async () => {
    const files: Record<string, string> = { [`${OLD}:.github/opsgate.yml`]: 'version: 1\ntargets:\n  box: { local: {} }\npolicy:\n  approvals: { required: 3, from: [alice] }\n' };
    const gh = { readFile: async (path: string, ref: string) => (files[`${ref}:${path}`] ? new TextEncoder().encode(files[`${ref}:${path}`]) : null) } as unknown as GitHubGateway;
    expect((await readBaseApprovalRules(gh, '.github/opsgate.yml', OLD)).rules).toMatchObject({ required: 3, from: ['alice'] });
    const missing = await readBaseApprovalRules(gh, '.github/opsgate.yml', HEAD);
    expect(missing.rules).toEqual(DEFAULT_APPROVAL_RULES);
    expect(missing.note).toMatch(/does not exist at the base commit bbbbbbb/);
  });
});

// The last gate of the approval table: what runs must be what was approved (the merge gate turns a failed
// comparison into reason digest-mismatch; test/e2e/merge-phase-dist.test.ts checks that through the action).
describe('compareWithReviewed (digest at merge vs what reviewers saw)', () => {
  const d1 = `sha256:${'1'.repeat(64)}`;
  const d2 = `sha256:${'2'.repeat(64)}`;
  const path = 'runbooks/fix.yml';
  const comment = (digest: string, head = HEAD) => `<!-- opsgate:plan -->\n<!-- opsgate:digest path=${path} ${digest} head=${head} -->`;
  it('passes when the plan comment for the approved head shows the same digest', () => {
    expect(compareWithReviewed({ against: 'plan-comment', body: comment(d1) }, path, d1, HEAD)).toEqual({ ok: true, comparison: { against: 'plan-comment', headSha: HEAD } });
  });
  it('refuses a digest that changed after review, naming both digests', () => {
    const verdict = compareWithReviewed({ against: 'plan-comment', body: comment(d1) }, path, d2, HEAD);
    expect(verdict).toMatchObject({ ok: false });
    expect(!verdict.ok && verdict.message).toContain(`${d2.slice(0, 19)}… differs from the ${d1.slice(0, 19)}…`);
  });
  it('refuses a plan comment written for an older head', () => {
    const verdict = compareWithReviewed({ against: 'plan-comment', body: comment(d1, OLD) }, path, d1, HEAD);
    expect(!verdict.ok && verdict.message).toContain(`not for the approved head ${HEAD.slice(0, 7)}`);
  });
  it('without a plan comment, compares with the digest computed at the approved head', () => {
    expect(compareWithReviewed({ against: 'head-commit', headSha: HEAD, digest: d1 }, path, d1, HEAD)).toMatchObject({ ok: true, comparison: { against: 'head-commit' } });
    expect(compareWithReviewed({ against: 'head-commit', headSha: HEAD, digest: d1 }, path, d2, HEAD)).toMatchObject({ ok: false });
    expect(compareWithReviewed({ against: 'head-commit', headSha: HEAD, missing: 'not found' }, path, d1, HEAD)).toMatchObject({ ok: false });
  });
});

describe('fetchApprovalSnapshot', () => {
  function gateway(options: { team?: 'ok' | 'unreadable' | 'boom'; permissions?: Record<string, RepoPermission> }) {
    const calls: string[] = [];
    const gh: Partial<GitHubGateway> = {
      listReviews: async () => [review('alice', 'APPROVED'), review('erin', 'APPROVED'), review('bob', 'COMMENTED')],
      listPullRequestCommits: async () => [{ sha: HEAD, author: 'olivia', committer: 'olivia' }],
      getTeamMembership: async (org, slug, user) => {
        calls.push(`team ${org}/${slug} ${user}`);
        if (options.team === 'unreadable') throw new TeamMembershipUnreadableError(`@${org}/${slug}`, 'Resource not accessible by integration');
        if (options.team === 'boom') throw new Error('GitHub returned 502');
        return user === 'erin' ? 'member' : 'not-member';
      },
      getRepoPermission: async (user) => {
        calls.push(`perm ${user}`);
        return options.permissions?.[user] ?? 'none';
      },
    };
    return { gh: gh as GitHubGateway, calls };
  }

  it('reads team membership only for current approvers', async () => {
    const { gh, calls } = gateway({ team: 'ok' });
    const snap = await fetchApprovalSnapshot(gh, pr, two());
    expect(snap.teams).toEqual({ '@acme/dba': { members: ['erin'] } });
    expect(calls).toEqual(['team acme/dba alice', 'team acme/dba erin']);
    expect(evaluateApprovals(snap, two()).approved).toBe(true);
  });

  it('turns an unreadable team into data and throws on any other error', async () => {
    const snap = await fetchApprovalSnapshot(gateway({ team: 'unreadable' }).gh, pr, two(['@acme/dba']));
    expect(snap.teams['@acme/dba']).toEqual({ unreadable: 'Resource not accessible by integration' });
    expect(evaluateApprovals(snap, two(['@acme/dba'])).reasonCode).toBe('team-membership-unreadable');
    await expect(fetchApprovalSnapshot(gateway({ team: 'boom' }).gh, pr, two())).rejects.toThrow('502');
  });

  it('reads repository permissions when from is empty', async () => {
    const { gh, calls } = gateway({ permissions: { alice: 'admin', erin: 'triage' } });
    const requirement: EffectiveRequirement = { required: 1, from: [], allowStale: false };
    const snap = await fetchApprovalSnapshot(gh, pr, requirement);
    expect(calls).toEqual(['perm alice', 'perm erin']);
    expect(evaluateApprovals(snap, requirement)).toMatchObject({ approved: true, summary: '1 of 1 approvals: alice' });
  });
});
