// A PR that changes the repo config would otherwise be reviewed under rules it wrote itself: lower
// `policy.approvals.required`, name yourself in `from`, and the status turns green. So while the PR changes the
// config, approvals are judged by the stricter of the base commit's rules and the head's. Pure.
import type { Policy } from '../runbook/model.js';
import { distinctLists, type ApprovalRules } from './approvals.js';

/**
 * The approval rules when the config leaves them out (src/config/load-repo-config.ts reads its defaults from here),
 * and the floor for a repo without a (valid) config at the base: one approval from someone with write access.
 */
export const DEFAULT_APPROVAL_RULES: ApprovalRules = { required: 1, from: [], allowStale: false };

function namedLists(rules: ApprovalRules): string[][] {
  return distinctLists([rules.from, ...(rules.alsoFrom ?? [])]);
}

/** Both rules at once: the larger count, every named list, stale approvals only if both allow them. */
export function stricterApprovals(base: ApprovalRules, head: ApprovalRules): ApprovalRules {
  const baseLists = namedLists(base);
  const headLists = namedLists(head);
  const [from = [], ...alsoFrom] = distinctLists([...headLists, ...baseLists]);
  // A side without `from` means "someone with write access"; next to named people, both must hold.
  const oneSideUnnamed = from.length > 0 && (baseLists.length === 0 || headLists.length === 0);
  const writeAccess = base.writeAccess === true || head.writeAccess === true || oneSideUnnamed;
  return {
    required: Math.max(base.required, head.required),
    from,
    allowStale: base.allowStale && head.allowStale,
    ...(alsoFrom.length ? { alsoFrom } : {}),
    ...(writeAccess ? { writeAccess: true } : {}),
  };
}

/** The head policy with its approvals replaced by the stricter of base and head; unchanged without a base. */
export function withStricterApprovals<P extends Policy>(head: P, base: ApprovalRules | undefined): P {
  return base ? { ...head, approvals: stricterApprovals(base, head.approvals) } : head;
}
