// The approval policy: one pure function used by the PR phase (information, commit status) and the merge
// phase (the gate). (Contract stub: the merge-phase work replaces the body.)
import type { ApprovalRequirement, Policy, Runbook } from '../runbook/model.js';
import type { CommitPeople, PullRequestInfo, RepoPermission, Review } from '../ports/github.js';
import type { ReasonCode } from '../run/outcome.js';

export interface EffectiveRequirement extends ApprovalRequirement {
  allowStale: boolean;
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

export function requirementFor(policy: Policy, runbook: Runbook): EffectiveRequirement {
  return {
    required: Math.max(policy.approvals.required, runbook.approvals?.required ?? 0),
    from: runbook.approvals?.from?.length ? runbook.approvals.from : policy.approvals.from,
    allowStale: policy.approvals.allowStale,
  };
}

export function evaluateApprovals(_snapshot: ApprovalSnapshot, requirement: EffectiveRequirement): ApprovalDecision {
  return { approved: false, reasonCode: 'not-approved', summary: `0 of ${requirement.required}`, message: 'not built yet', counted: [], required: requirement.required };
}
