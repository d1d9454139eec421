// CloudWatch stream names for a run: 1–512 chars, no ':' or '*'. The ledger finds runs by ledgerStreamPrefix.
import type { RunIdentity } from '../ports/audit.js';

const MAX_STREAM_NAME = 512;

function clean(text: string): string {
  return text.replace(/[:*]/g, '_');
}

function digestTag(digest: string): string {
  return clean(digest.replace(/^sha256:/, '')).slice(0, 32);
}

/** "opsgate/<repo>/pr-<n>/<digest32>/" — the same for every attempt of one reviewed runbook. */
export function ledgerStreamPrefix(repository: string, pullRequest: number | null, runbookDigest: string): string {
  return `opsgate/${clean(repository)}/pr-${pullRequest ?? 'none'}/${digestTag(runbookDigest)}/`;
}

export function auditStreamName(identity: RunIdentity): string {
  const prefix = ledgerStreamPrefix(identity.repository, identity.pullRequest, identity.runbookDigest);
  const runId = clean(identity.runId);
  const room = MAX_STREAM_NAME - prefix.length - runId.length - 1;
  const runbook = clean(identity.runbookPath).slice(-Math.max(room, 0));
  return `${prefix}${runbook}/${runId}`.slice(0, MAX_STREAM_NAME);
}
