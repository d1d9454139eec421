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
//    with no `from` at all, write/maintain/admin permission on the repository. When the PR changes the config,
//    the base commit's rules apply too (stricter-policy.ts).
// 0. Before all of this: a PR with 250+ commits is refused, because GitHub lists no more and a committer could
//    be missed (too-many-commits).
// 6. Unreadable team membership only matters when it could change the decision: when enough approvals come
//    from readable entries the run is approved; otherwise the refusal is team-membership-unreadable.
import type { ApprovalRequirement, Policy, Runbook } from '../runbook/model.js';
import { MAX_LISTED_COMMITS, type CommitPeople, type PullRequestInfo, type RepoPermission, type Review } from '../ports/github.js';
import type { ReasonCode } from '../run/outcome.js';

export interface EffectiveRequirement extends ApprovalRequirement {
  allowStale: boolean;
  /**
   * Further lists the approver must also be on: the repo policy's when the runbook names its own `from`, and the
   * base commit's when the PR changed the config (stricter-policy.ts). Absent means only `from` applies.
   */
  alsoFrom?: string[][];
  /** The approver must also have write access (a rule without `from` was combined with one that names people). */
  writeAccess?: boolean;
}

/** The repo policy's approval rules; combining the base and head config (stricter-policy.ts) can add lists. */
export type ApprovalRules = Policy['approvals'] & { alsoFrom?: string[][]; writeAccess?: boolean };

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

export function requirementFor(policy: { approvals: ApprovalRules }, runbook: Runbook): EffectiveRequirement {
  const rules = policy.approvals;
  const [from = [], ...alsoFrom] = distinctLists([runbook.approvals?.from ?? [], rules.from, ...(rules.alsoFrom ?? [])]);
  return {
    required: Math.max(rules.required, runbook.approvals?.required ?? 0),
    from,
    allowStale: rules.allowStale,
    ...(alsoFrom.length ? { alsoFrom } : {}),
    ...(rules.writeAccess ? { writeAccess: true } : {}),
  };
}

/** The non-empty lists, each once: the same people named twice ("alice, bob" and "bob, alice") is one rule. */
export function distinctLists(lists: readonly (readonly string[])[]): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const list of lists) {
    const key = [...new Set(list.map(entryKey))].sort().join(' ');
    if (!list.length || seen.has(key)) continue;
    seen.add(key);
    out.push([...list]);
  }
  return out;
}

function entryKey(entry: string): string {
  return isTeam(entry) ? entry.toLowerCase() : entry.replace(/^@/, '').toLowerCase();
}

/** Every list an approver must be on (empty: eligibility is repository write access). */
export function listsOf(requirement: EffectiveRequirement): string[][] {
  return [requirement.from, ...(requirement.alsoFrom ?? [])].filter((l) => l.length > 0);
}

/** The teams ("@org/slug") named by the requirement, lower-cased, without duplicates. */
export function teamsOf(requirement: EffectiveRequirement): string[] {
  return [...new Set(listsOf(requirement).flat().filter(isTeam).map((t) => t.toLowerCase()))];
}

export function isTeam(entry: string): boolean {
  return entry.startsWith('@') && entry.includes('/');
}

/** True when write access decides (no list names anyone), or is required on top of the lists. */
export function needsRepoPermission(requirement: EffectiveRequirement): boolean {
  return listsOf(requirement).length === 0 || requirement.writeAccess === true;
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

function hasWriteAccess(login: string, snapshot: ApprovalSnapshot): boolean {
  const permission = Object.entries(snapshot.permissions).find(([user]) => user.toLowerCase() === login.toLowerCase())?.[1];
  return permission === 'write' || permission === 'maintain' || permission === 'admin';
}

function eligibility(login: string, snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): Eligibility {
  if (needsRepoPermission(requirement) && !hasWriteAccess(login, snapshot)) return 'no';
  let result: Eligibility = 'yes';
  for (const list of listsOf(requirement)) {
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

/** "@acme/dba", "alice or @acme/dba", "@acme/dba who is also alice or bob", "someone with write access…". */
export function describeEligible(requirement: EffectiveRequirement): string {
  const lists = listsOf(requirement).map((list) => list.map(displayEntry).join(' or '));
  if (!lists.length) return 'someone with write access to the repository';
  const who = lists.length === 1 ? lists[0]! : `${lists[0]} who is also ${lists.slice(1).join(' and also ')}`;
  return requirement.writeAccess ? `${who}, with write access to the repository` : who;
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

/** Who approved, and why each approval that does not count was set aside. */
interface Tally {
  counted: { login: string; reviewId: number }[];
  blockers: string[];
  selfApproved: Review[];
  stale: Review[];
  ineligible: Review[];
  unreadable: { review: Review; team: string; reason: string }[];
}

function tallyApprovals(snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): Tally {
  const stances = [...latestStances(snapshot.reviews).values()];
  const authors = changeAuthors(snapshot);
  const tally: Tally = { counted: [], blockers: [], selfApproved: [], stale: [], ineligible: [], unreadable: [] };
  for (const { state, review } of stances) {
    if (state === 'CHANGES_REQUESTED') tally.blockers.push(review.user);
    else if (authors.has(review.user.toLowerCase())) tally.selfApproved.push(review);
    else if (!requirement.allowStale && review.commitId !== snapshot.pullRequest.headSha) tally.stale.push(review);
    else {
      const eligible = eligibility(review.user, snapshot, requirement);
      if (eligible === 'yes') tally.counted.push({ login: review.user, reviewId: review.id });
      else if (eligible === 'no') tally.ineligible.push(review);
      else tally.unreadable.push({ review, team: eligible.team, reason: eligible.unreadable });
    }
  }
  return tally;
}

/** The rule that took an approval away explains the shortfall best; otherwise nobody approved enough. */
function refusalReason(tally: Tally): ReasonCode {
  if (tally.selfApproved.length) return 'self-approval';
  if (tally.stale.length) return 'stale-approval';
  if (tally.unreadable.length) return 'team-membership-unreadable';
  if (tally.ineligible.length) return 'approver-not-eligible';
  return 'not-approved';
}

/** Why the approvals fall short, one line per rule that set one aside, and what would satisfy the policy. */
export function refusalMessage(tally: Tally, snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): string {
  const pr = snapshot.pullRequest;
  const eligibleText = describeEligible(requirement);
  const missing = Math.max(0, requirement.required - tally.counted.length);
  const logins = (reviews: readonly Review[]) => names(reviews.map((r) => ({ login: r.user })));
  const lines = [
    `#${pr.number} has ${tally.counted.length} of the ${plural(requirement.required, 'approval')} required (the larger of the repo policy and the runbook) from ${eligibleText}` +
      (tally.counted.length ? `: ${names(tally.counted)}.` : '.'),
  ];
  if (tally.selfApproved.length)
    lines.push(`Two-person rule: ${logins(tally.selfApproved)} wrote or committed part of this change (PR author ${pr.author}), so their approval does not count.`);
  if (tally.stale.length)
    lines.push(
      `Stale approval: ${tally.stale.map((r) => `${r.user} approved ${r.commitId.slice(0, 7)}`).join(', ')}, but the head is now ${pr.headSha.slice(0, 7)}; approvals count only on the final head commit.`,
    );
  if (tally.unreadable.length)
    lines.push(`Team membership could not be read for ${tally.unreadable.map((u) => `${u.review.user} (${u.team}: ${u.reason})`).join(', ')}; to check it, ${MEMBERS_TOKEN_HINT}.`);
  if (tally.ineligible.length) lines.push(`Not eligible: ${logins(tally.ineligible)} approved but ${tally.ineligible.length === 1 ? 'is' : 'are'} not ${eligibleText}.`);
  lines.push(`To proceed: ${countWord(missing)} more approval${missing === 1 ? '' : 's'} on the final head from ${eligibleText}, by someone who did not author or commit the change.`);
  return lines.join('\n');
}

/** GitHub lists at most 250 commits of a PR: past that, committers could be missed, so nothing is approved. */
function tooManyCommits(snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): ApprovalDecision {
  const pr = snapshot.pullRequest;
  return {
    approved: false,
    reasonCode: 'too-many-commits',
    summary: `cannot check: #${pr.number} has ${MAX_LISTED_COMMITS} or more commits`,
    message:
      `#${pr.number} has ${MAX_LISTED_COMMITS} or more commits, and GitHub lists only the first ${MAX_LISTED_COMMITS}, so opsgate cannot tell who committed the rest ` +
      'and cannot apply the two-person rule. To proceed, squash the branch or split the pull request so it has fewer commits.',
    counted: [],
    required: requirement.required,
  };
}

export function evaluateApprovals(snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): ApprovalDecision {
  if (snapshot.commits.length >= MAX_LISTED_COMMITS) return tooManyCommits(snapshot, requirement);
  const { required } = requirement;
  const tally = tallyApprovals(snapshot, requirement);
  const { counted } = tally;
  const missing = Math.max(0, required - counted.length);
  const summary =
    missing === 0
      ? `${counted.length} of ${required} approvals${counted.length ? `: ${names(counted)}` : ''}`
      : `${counted.length} of ${required}: needs ${countWord(missing)} more from ${describeEligible(requirement)}`;

  if (tally.blockers.length > 0) {
    const who = tally.blockers.join(', ');
    const message =
      `Changes requested by ${who} on #${snapshot.pullRequest.number} are still outstanding, and any outstanding change request blocks the run. ` +
      `To proceed, ${tally.blockers.length === 1 ? 'that reviewer' : 'those reviewers'} must approve the final head, or a maintainer must dismiss the review.`;
    return { approved: false, reasonCode: 'changes-requested', summary: `${summary}; changes requested by ${who}`, message, counted, required };
  }
  if (missing === 0) {
    const unread = tally.unreadable.map((u) => u.review.user);
    const extra = unread.length ? ` (team membership of ${unread.join(', ')} could not be read, but was not needed)` : '';
    return { approved: true, reasonCode: 'ok', summary, message: `Approved: ${summary}.${extra}`, counted, required };
  }
  return { approved: false, reasonCode: refusalReason(tally), summary, message: refusalMessage(tally, snapshot, requirement), counted, required };
}
