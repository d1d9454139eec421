// Compares the digest the plan comment showed reviewers with the digest of what is about to run. Pure.
export type DigestCheck = { ok: true } | { ok: false; reasonCode: 'digest-mismatch'; message: string };

export function checkDigest(expectedFromPlanComment: string | null | undefined, actual: string, path = 'the runbook'): DigestCheck {
  if (!expectedFromPlanComment) {
    return {
      ok: false,
      reasonCode: 'digest-mismatch',
      message: `${path}: the plan comment shows no digest for it, so opsgate cannot confirm that what runs is what reviewers saw. Nothing ran; re-run the PR-phase workflow on a PR with this runbook.`,
    };
  }
  if (expectedFromPlanComment === actual) return { ok: true };
  return {
    ok: false,
    reasonCode: 'digest-mismatch',
    message:
      `${path}: content digest ${actual.slice(0, 19)}… differs from the ${expectedFromPlanComment.slice(0, 19)}… shown to reviewers in the plan comment; ` +
      'the runbook or the config it uses changed after review. Nothing ran; open a new PR so reviewers approve what will run.',
  };
}
