// CloudWatch stream names for a run: 1–512 chars, no ':' or '*'. The ledger finds runs by ledgerStreamPrefix;
// a run stream is "<prefix><runbook>/<runId>", the claim streams of one prefix are "<prefix>claim#<generation>".
import type { RunIdentity } from '../ports/audit.js';

export const MAX_STREAM_NAME = 512;
/** Run ids are short ("<run id>-<attempt>"); a longer one is cut so the ledger prefix always fits. */
const MAX_RUN_ID = 128;
const CLAIM_MARK = 'claim#';

function clean(text: string): string {
  return text.replace(/[:*]/g, '_');
}

function digestTag(digest: string): string {
  return clean(digest.replace(/^sha256:/, '')).slice(0, 32);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The last `room` UTF-16 units of `text`, never starting with the second half of a surrogate pair. */
function keepTail(text: string, room: number): string {
  if (room <= 0) return '';
  if (text.length <= room) return text;
  const start = text.length - room;
  return isHighSurrogate(text.charCodeAt(start - 1)) ? text.slice(start + 1) : text.slice(start);
}

/** The first `room` UTF-16 units of `text`, never ending with the first half of a surrogate pair. */
function keepHead(text: string, room: number): string {
  if (text.length <= room) return text;
  return isHighSurrogate(text.charCodeAt(room - 1)) ? text.slice(0, room - 1) : text.slice(0, room);
}

/** "opsgate/<repo>/pr-<n>/<digest32>/" — the same for every attempt of one reviewed runbook. */
export function ledgerStreamPrefix(repository: string, pullRequest: number | null, runbookDigest: string): string {
  return `opsgate/${clean(repository)}/pr-${pullRequest ?? 'none'}/${digestTag(runbookDigest)}/`;
}

/** The run id as it appears at the end of a stream name. */
export function streamRunId(runId: string): string {
  return keepHead(clean(runId), MAX_RUN_ID) || '_';
}

/**
 * "<prefix><runbook path>/<run id>". The prefix and the run id are always kept whole; the runbook path gives up
 * its beginning when the name would pass 512 characters (its end, the file name, says the most).
 */
export function auditStreamName(identity: RunIdentity): string {
  const prefix = ledgerStreamPrefix(identity.repository, identity.pullRequest, identity.runbookDigest);
  const runId = streamRunId(identity.runId);
  const room = MAX_STREAM_NAME - prefix.length - runId.length - 1;
  // A repository name long enough to leave no room for the run id cannot happen on GitHub (≤ 140 characters).
  if (room < 0) throw new Error(`Cannot name the audit stream: "${prefix}" leaves no room for the run id within ${MAX_STREAM_NAME} characters.`);
  const runbook = keepTail(clean(identity.runbookPath), room) || (room > 0 ? '_' : '');
  return `${prefix}${runbook}/${runId}`;
}

/** What every claim stream of `prefix` starts with. */
export function claimStreamPrefix(prefix: string): string {
  return prefix + CLAIM_MARK;
}

/** The claim stream of one generation; generation 1 is the first claim, later ones are take-overs. */
export function claimStreamName(prefix: string, generation: number): string {
  return `${prefix}${CLAIM_MARK}${generation}`;
}

/** The generation of a claim stream under `prefix`, or undefined for any other stream (a run's own stream). */
export function claimGeneration(prefix: string, streamName: string): number | undefined {
  if (!streamName.startsWith(prefix + CLAIM_MARK)) return undefined;
  const generation = Number(streamName.slice(prefix.length + CLAIM_MARK.length));
  return Number.isInteger(generation) && generation > 0 ? generation : undefined;
}

/** True for a run stream of this run id under `prefix`. */
export function isRunStreamOf(prefix: string, streamName: string, runId: string): boolean {
  return streamName.startsWith(prefix) && streamName.endsWith(`/${streamRunId(runId)}`);
}
