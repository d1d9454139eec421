// Whether what runs is what reviewers saw: the digest lines of the plan comment (written and parsed in
// plan/digest-marker.ts) against the digest at merge. Pure.
import { parseDigestMarkers } from '../plan/digest-marker.js';

/**
 * The digest shown for `path` on the approved head, or why there is none (for the refusal message).
 * A comment written for an older head does not count: reviewers approved what the final head's plan showed.
 */
export function shownDigestFor(
  commentBody: string | null,
  path: string,
  headSha: string,
): { digest: string } | { missing: string } {
  if (commentBody === null) {
    return { missing: 'the pull request has no opsgate plan comment (the PR-phase workflow did not run, or its comment was deleted)' };
  }
  const shown = parseDigestMarkers(commentBody).filter((d) => d.path === path);
  if (shown.length === 0) return { missing: `the plan comment does not list ${path}` };
  const atHead = shown.find((d) => headSha.startsWith(d.head) || d.head.startsWith(headSha));
  if (!atHead) {
    return { missing: `the plan comment shows ${path} for commit ${shown[0]!.head.slice(0, 7)}, not for the approved head ${headSha.slice(0, 7)}` };
  }
  return { digest: atHead.digest };
}

/**
 * What the digest at merge is compared with. Normally the plan comment reviewers saw. A PR without one — a fork
 * PR, whose read-only token cannot write it — is compared with the digest computed at the approved head commit:
 * approvals count only on that commit, so equal digests mean what runs is what was approved.
 */
export type ReviewedDigest =
  | { against: 'plan-comment'; body: string }
  | { against: 'head-commit'; headSha: string; digest: string }
  | { against: 'head-commit'; headSha: string; missing: string };

/** Which comparison passed, for the result comment and the `result` output. */
export interface DigestComparison {
  against: 'plan-comment' | 'head-commit';
  headSha: string;
}

export type DigestVerdict = { ok: true; comparison: DigestComparison } | { ok: false; message: string };

export function compareWithReviewed(reviewed: ReviewedDigest, path: string, atMerge: string, headSha: string): DigestVerdict {
  const head = headSha.slice(0, 7);
  if (reviewed.against === 'head-commit') {
    if ('missing' in reviewed) {
      return { ok: false, message: `${path}: the PR has no opsgate plan comment, and the digest at the approved head ${head} cannot be computed: ${reviewed.missing}. Nothing ran. Open a new PR so the PR phase shows reviewers its plan.` };
    }
    if (reviewed.digest === atMerge) return { ok: true, comparison: { against: 'head-commit', headSha } };
    return {
      ok: false,
      message:
        `${path}: content digest ${atMerge.slice(0, 19)}… at merge differs from ${reviewed.digest.slice(0, 19)}… computed at the approved head ${head} ` +
        '(the PR has no plan comment, so the head commit stands for what reviewers approved); the runbook or the config it uses changed between approval and merge. Nothing ran; open a new PR so reviewers approve what will run.',
    };
  }
  const shown = shownDigestFor(reviewed.body, path, headSha);
  if ('missing' in shown) {
    return { ok: false, message: `${path}: cannot confirm that what runs is what reviewers saw: ${shown.missing}. Nothing ran. Open a new PR with this runbook so the PR phase shows reviewers its plan.` };
  }
  if (shown.digest === atMerge) return { ok: true, comparison: { against: 'plan-comment', headSha } };
  return {
    ok: false,
    message:
      `${path}: content digest ${atMerge.slice(0, 19)}… differs from the ${shown.digest.slice(0, 19)}… shown to reviewers in the plan comment for ${head}; ` +
      'the runbook or the config it uses changed after review. Nothing ran; open a new PR so reviewers approve what will run.',
  };
}
