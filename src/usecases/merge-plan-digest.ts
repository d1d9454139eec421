// Reads the digests the plan comment showed reviewers. The PR phase writes one hidden line per runbook into
// its sticky comment: `<!-- opsgate:digest path=<path> sha256:<hex> head=<sha> -->`. Pure.

export const PLAN_COMMENT_MARKER = '<!-- opsgate:plan -->';

export interface ShownDigest {
  path: string;
  digest: string;
  head: string;
}

// The path may be written plain or URI-encoded (spaces); it never contains "-->".
const DIGEST_LINE = /<!--\s*opsgate:digest\s+path=(.+?)\s+(sha256:[0-9a-f]{64})\s+head=([0-9a-f]{7,64})\s*-->/g;

function decodePath(raw: string): string {
  const unquoted = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}

export function parseShownDigests(commentBody: string): ShownDigest[] {
  return [...commentBody.matchAll(DIGEST_LINE)].map((m) => ({ path: decodePath(m[1]!), digest: m[2]!, head: m[3]! }));
}

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
  const shown = parseShownDigests(commentBody).filter((d) => d.path === path);
  if (shown.length === 0) return { missing: `the plan comment does not list ${path}` };
  const atHead = shown.find((d) => headSha.startsWith(d.head) || d.head.startsWith(headSha));
  if (!atHead) {
    return { missing: `the plan comment shows ${path} for commit ${shown[0]!.head.slice(0, 7)}, not for the approved head ${headSha.slice(0, 7)}` };
  }
  return { digest: atHead.digest };
}
