// The hidden lines that bind the plan comment to what reviewers saw: the comment's own marker (how the sticky
// comment is found) and one digest line per runbook, written by the PR phase and read back by the merge phase.
// Writer and parser live together so that they cannot drift apart. Pure.
//
//   <!-- opsgate:plan -->
//   <!-- opsgate:digest path=<URI-encoded path> sha256:<64 hex> head=<commit sha> -->
//
// The path is URI-encoded, so it never holds a space, a newline or a ">" (and so never "-->", which would end the
// HTML comment early and let a file name write into the visible comment).

export const PLAN_MARKER = '<!-- opsgate:plan -->';

export interface ShownDigest {
  path: string;
  digest: string;
  head: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEAD = /^[0-9a-f]{7,64}$/;
const DIGEST_LINE = /<!-- opsgate:digest path=(\S+) (sha256:[0-9a-f]{64}) head=([0-9a-f]{7,64}) -->/g;

/** The digest line for one runbook. Throws on a digest or head that the parser would not read back. */
export function digestMarker(path: string, digest: string, headSha: string): string {
  if (!DIGEST.test(digest)) throw new Error(`digestMarker: "${digest}" is not a "sha256:<64 hex>" digest (runbook ${path}).`);
  if (!HEAD.test(headSha)) throw new Error(`digestMarker: "${headSha}" is not a commit sha (runbook ${path}).`);
  return `<!-- opsgate:digest path=${encodePath(path)} ${digest} head=${headSha} -->`;
}

function encodePath(path: string): string {
  try {
    return encodeURI(path);
  } catch {
    // Only a lone UTF-16 surrogate makes encodeURI throw; no file name GitHub reports as UTF-8 has one.
    throw new Error(`digestMarker: the path ${JSON.stringify(path)} is not well-formed Unicode, so its digest line could not be read back.`);
  }
}

/** Every digest line in a comment body, in order. A line whose path does not decode is not one opsgate wrote. */
export function parseDigestMarkers(commentBody: string): ShownDigest[] {
  const shown: ShownDigest[] = [];
  for (const m of commentBody.matchAll(DIGEST_LINE)) {
    const path = decodePath(m[1]!);
    if (path !== undefined) shown.push({ path, digest: m[2]!, head: m[3]! });
  }
  return shown;
}

function decodePath(encoded: string): string | undefined {
  try {
    return decodeURI(encoded);
  } catch {
    return undefined;
  }
}
