// The approval policy: one pure function used by the PR phase (information, commit status) and the merge
// phase (the gate). It decides from an ApprovalSnapshot fetched beforehand (src/policy/approval-snapshot.ts).
//
// Rules, in the order they are checked:
// 1. Any reviewer whose latest opinionated review is CHANGES_REQUESTED blocks (changes-requested).
// 2. Each reviewer's latest opinionated review counts: APPROVED / CHANGES_REQUESTED / DISMISSED set the stance
//    (DISMISSED revokes it); COMMENTED and PENDING leave it as it was.
// 3. The PR author and every author/committer of the PR's commits cannot approve (two-person rule).
// 4. Approvals count only when given on the final head commit, unless policy.approvals.allowStale.
// 5. The approver must be eligible: named in `from` (a login or a member of an "@org/team"); when both the repo
//    policy and the runbook name `from`, the approver must satisfy both lists (a runbook can only tighten);
//    with no `from` at all, write/maintain/admin permission on the repository.
// 6. Unreadable team membership only matters when it could change the decision: when enough approvals come
//    from readable entries the run is approved; otherwise the refusal is team-membership-unreadable.
import type { ApprovalRequirement, Policy, Runbook } from '../runbook/model.js';
import type { CommitPeople, PullRequestInfo, RepoPermission, Review } from '../ports/github.js';
import type { ReasonCode } from '../run/outcome.js';

export interface EffectiveRequirement extends ApprovalRequirement {
  allowStale: boolean;
  /**
   * Set when both the repo policy and the runbook name `from`: `from` holds the runbook's list and this the
   * policy's; an approver must be eligible under both. (Additive: absent means only `from` applies.)
   */
  alsoFrom?: string[];
}

/** Everything the policy needs, fetched before deciding (src/policy/approval-snapshot.ts). */
export interface ApprovalSnapshot {
  pullRequest: PullRequestInfo;
  /** Oldest first. */
  reviews: Review[];
  commits: CommitPeople[];
  /** "@org/slug" -> logins among the reviewers who are active members, or the reason it could not be read. */
  teams: Record<string, { members: string[] } | { unreadable: string }>;
  /** Reviewer login -> permission on the repo (used when `from` is empty). */
  permissions: Record<string, RepoPermission>;
}

export interface ApprovalDecision {
  approved: boolean;
  /** 'ok' when approved; otherwise the first rule that failed. */
  reasonCode: ReasonCode;
  /** "2 of 2 approvals: alice, bob" or "1 of 2: needs one more from @acme/dba". */
  summary: string;
  /** Full explanation: the rule, the people involved and what would satisfy it. */
  message: string;
  /** Approvals that counted, with review ids (for the audit log). */
  counted: { login: string; reviewId: number }[];
  required: number;
}

export const MEMBERS_TOKEN_HINT =
  'give the action a `members-token` input that can read team membership: a GitHub App installation token with the "Members: read" organization permission, or a personal access token with the read:org scope';

export function requirementFor(policy: Policy, runbook: Runbook): EffectiveRequirement {
  const runbookFrom = runbook.approvals?.from ?? [];
  const policyFrom = policy.approvals.from;
  const both = runbookFrom.length > 0 && policyFrom.length > 0;
  return {
    required: Math.max(policy.approvals.required, runbook.approvals?.required ?? 0),
    from: runbookFrom.length ? runbookFrom : policyFrom,
    allowStale: policy.approvals.allowStale,
    ...(both ? { alsoFrom: policyFrom } : {}),
  };
}

/** The teams ("@org/slug") named by the requirement, lower-cased, without duplicates. */
export function teamsOf(requirement: EffectiveRequirement): string[] {
  const all = [...requirement.from, ...(requirement.alsoFrom ?? [])].filter(isTeam).map((t) => t.toLowerCase());
  return [...new Set(all)];
}

export function isTeam(entry: string): boolean {
  return entry.startsWith('@') && entry.includes('/');
}

/** True when neither list names anyone: eligibility falls back to repository permission. */
export function needsRepoPermission(requirement: EffectiveRequirement): boolean {
  return requirement.from.length === 0 && (requirement.alsoFrom ?? []).length === 0;
}

type Stance = { state: 'APPROVED' | 'CHANGES_REQUESTED'; review: Review };

/** Each reviewer's latest opinionated stance (DISMISSED removes it), keyed by lower-cased login. */
export function latestStances(reviews: readonly Review[]): Map<string, Stance> {
  const stances = new Map<string, Stance>();
  for (const review of reviews) {
    const key = review.user.toLowerCase();
    if (review.state === 'APPROVED' || review.state === 'CHANGES_REQUESTED') stances.set(key, { state: review.state, review });
    else if (review.state === 'DISMISSED') stances.delete(key);
  }
  return stances;
}

/** Logins who wrote the change: the PR author and every commit author and committer. */
export function changeAuthors(snapshot: ApprovalSnapshot): Set<string> {
  const people = new Set([snapshot.pullRequest.author.toLowerCase()]);
  for (const commit of snapshot.commits) {
    if (commit.author) people.add(commit.author.toLowerCase());
    if (commit.committer) people.add(commit.committer.toLowerCase());
  }
  // GitHub's own merge/web-flow committer is not a person who wrote the change.
  people.delete('web-flow');
  return people;
}

type Eligibility = 'yes' | 'no' | { unreadable: string; team: string };

function eligibleUnder(list: readonly string[], login: string, snapshot: ApprovalSnapshot): Eligibility {
  const key = login.toLowerCase();
  let unknown: Eligibility = 'no';
  for (const entry of list) {
    if (!isTeam(entry)) {
      if (entry.replace(/^@/, '').toLowerCase() === key) return 'yes';
      continue;
    }
    const team = lookupTeam(snapshot, entry);
    if (!team) unknown = { team: entry, unreadable: 'membership was not fetched' };
    else if ('unreadable' in team) unknown = { team: entry, unreadable: team.unreadable };
    else if (team.members.some((m) => m.toLowerCase() === key)) return 'yes';
  }
  return unknown;
}

function lookupTeam(snapshot: ApprovalSnapshot, team: string) {
  const wanted = team.toLowerCase();
  const found = Object.entries(snapshot.teams).find(([name]) => name.toLowerCase() === wanted);
  return found?.[1];
}

function eligibility(login: string, snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): Eligibility {
  if (needsRepoPermission(requirement)) {
    const permission = Object.entries(snapshot.permissions).find(([user]) => user.toLowerCase() === login.toLowerCase())?.[1];
    return permission === 'write' || permission === 'maintain' || permission === 'admin' ? 'yes' : 'no';
  }
  const lists = [requirement.from, ...(requirement.alsoFrom ? [requirement.alsoFrom] : [])].filter((l) => l.length > 0);
  let result: Eligibility = 'yes';
  for (const list of lists) {
    const under = eligibleUnder(list, login, snapshot);
    if (under === 'no') return 'no';
    if (under !== 'yes') result = under;
  }
  return result;
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

function countWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

/** "@acme/dba", "alice or @acme/dba", "someone with write access to the repository". */
export function describeEligible(requirement: EffectiveRequirement): string {
  if (needsRepoPermission(requirement)) return 'someone with write access to the repository';
  const from = requirement.from.map(displayEntry).join(' or ');
  if (!requirement.alsoFrom?.length) return from;
  return `${from} (who is also ${requirement.alsoFrom.map(displayEntry).join(' or ')}, as the repo policy requires)`;
}

function displayEntry(entry: string): string {
  return isTeam(entry) ? entry : entry.replace(/^@/, '');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function names(reviews: readonly { login: string }[]): string {
  return reviews.map((r) => r.login).join(', ');
}

export function evaluateApprovals(snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): ApprovalDecision {
  const required = requirement.required;
  const pr = snapshot.pullRequest;
  const stances = [...latestStances(snapshot.reviews).values()];

  const blockers = stances.filter((s) => s.state === 'CHANGES_REQUESTED').map((s) => s.review.user);
  const approvals = stances.filter((s) => s.state === 'APPROVED').map((s) => s.review);
  const authors = changeAuthors(snapshot);

  const selfApproved: Review[] = [];
  const stale: Review[] = [];
  const ineligible: Review[] = [];
  const unreadable: { review: Review; team: string; reason: string }[] = [];
  const counted: { login: string; reviewId: number }[] = [];
  for (const review of approvals) {
    if (authors.has(review.user.toLowerCase())) selfApproved.push(review);
    else if (!requirement.allowStale && review.commitId !== pr.headSha) stale.push(review);
    else {
      const eligible = eligibility(review.user, snapshot, requirement);
      if (eligible === 'yes') counted.push({ login: review.user, reviewId: review.id });
      else if (eligible === 'no') ineligible.push(review);
      else unreadable.push({ review, team: eligible.team, reason: eligible.unreadable });
    }
  }

  const eligibleText = describeEligible(requirement);
  const missing = Math.max(0, required - counted.length);
  const summary =
    missing === 0
      ? `${counted.length} of ${required} approvals${counted.length ? `: ${names(counted)}` : ''}`
      : `${counted.length} of ${required}: needs ${countWord(missing)} more from ${eligibleText}`;

  if (blockers.length > 0) {
    const who = blockers.join(', ');
    return {
      approved: false,
      reasonCode: 'changes-requested',
      summary: `${summary}; changes requested by ${who}`,
      message:
        `Changes requested by ${who} on #${pr.number} are still outstanding, and any outstanding change request blocks the run. ` +
        `To proceed, ${blockers.length === 1 ? 'that reviewer' : 'those reviewers'} must approve the final head, or a maintainer must dismiss the review.`,
      counted,
      required,
    };
  }
  if (missing === 0) {
    const extra = unreadable.length ? ` (team membership of ${unreadable.map((u) => u.review.user).join(', ')} could not be read, but was not needed)` : '';
    return { approved: true, reasonCode: 'ok', summary, message: `Approved: ${summary}.${extra}`, counted, required };
  }

  const lines = [
    `#${pr.number} has ${counted.length} of the ${plural(required, 'approval')} required (the larger of the repo policy and the runbook) from ${eligibleText}` +
      (counted.length ? `: ${names(counted)}.` : '.'),
  ];
  if (selfApproved.length)
    lines.push(
      `Two-person rule: ${names(selfApproved.map((r) => ({ login: r.user })))} wrote or committed part of this change (PR author ${pr.author}), so their approval does not count.`,
    );
  if (stale.length)
    lines.push(
      `Stale approval: ${stale.map((r) => `${r.user} approved ${r.commitId.slice(0, 7)}`).join(', ')}, but the head is now ${pr.headSha.slice(0, 7)}; approvals count only on the final head commit.`,
    );
  if (unreadable.length)
    lines.push(
      `Team membership could not be read for ${unreadable.map((u) => `${u.review.user} (${u.team}: ${u.reason})`).join(', ')}; to check it, ${MEMBERS_TOKEN_HINT}.`,
    );
  if (ineligible.length)
    lines.push(`Not eligible: ${names(ineligible.map((r) => ({ login: r.user })))} approved but ${ineligible.length === 1 ? 'is' : 'are'} not ${eligibleText}.`);
  lines.push(`To proceed: ${countWord(missing)} more approval${missing === 1 ? '' : 's'} on the final head from ${eligibleText}, by someone who did not author or commit the change.`);

  // The most specific rule that took an approval away explains the shortfall; otherwise nobody approved enough.
  const reasonCode: ReasonCode = selfApproved.length
    ? 'self-approval'
    : stale.length
      ? 'stale-approval'
      : unreadable.length
        ? 'team-membership-unreadable'
        : ineligible.length
          ? 'approver-not-eligible'
          : 'not-approved';
  return { approved: false, reasonCode, summary, message: lines.join('\n'), counted, required };
}
