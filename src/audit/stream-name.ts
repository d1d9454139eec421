// CloudWatch stream names for a run: 1–512 chars, no ':' or '*'. The ledger finds the attempts of one runbook by
// ledgerStreamPrefix "opsgate/<repo>/pr-<n>/<digest>/<runbook path>/": a run stream is "<prefix><runId>", the claim
// streams of the slot are "<prefix>claim#<generation>". The path is part of the prefix, so two files with the same
// content in one PR have two slots.
import type { RunIdentity, RunSlot } from '../ports/audit.js';
import { sha256Hex } from './events.js';

export const MAX_STREAM_NAME = 512;
/** Run ids are short ("<run id>-<attempt>"); a longer one is cut so the ledger prefix always fits. */
const MAX_RUN_ID = 128;
/** The prefix leaves room for any run id (or "claim#<generation>") within MAX_STREAM_NAME. */
const MAX_PREFIX = MAX_STREAM_NAME - MAX_RUN_ID;
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

/**
 * "opsgate/<repo>/pr-<n>/<digest32>/<runbook path>/" — the same for every attempt of one reviewed runbook. A path
 * too long to fit gives up its beginning (its end, the file name, says the most) and gains a hash of the whole
 * path, so two long paths with the same end still get their own slots.
 */
export function ledgerStreamPrefix(slot: RunSlot): string {
  const head = `opsgate/${clean(slot.repository)}/pr-${slot.pullRequest ?? 'none'}/${digestTag(slot.runbookDigest)}/`;
  const path = clean(slot.runbookPath) || '_';
  if (head.length + path.length + 1 <= MAX_PREFIX) return `${head}${path}/`;
  const tag = `#${sha256Hex(slot.runbookPath).slice(0, 16)}`;
  const room = MAX_PREFIX - head.length - tag.length - 1;
  // A repository name long enough to leave no room for the path cannot happen on GitHub (≤ 140 characters).
  if (room <= 0) throw new Error(`Cannot name the audit stream: "${head}" leaves no room for the runbook path within ${MAX_STREAM_NAME} characters.`);
  return `${head}${keepTail(path, room)}${tag}/`;
}

/** The run id as it appears at the end of a stream name. */
export function streamRunId(runId: string): string {
  return keepHead(clean(runId), MAX_RUN_ID) || '_';
}

/** "<prefix><run id>": "opsgate/<repo>/pr-<n>/<digest32>/<runbook path>/<run id>", at most 512 characters. */
export function auditStreamName(identity: RunIdentity): string {
  return `${ledgerStreamPrefix(identity)}${streamRunId(identity.runId)}`;
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

/** True for the run stream of this run id under `prefix`. */
export function isRunStreamOf(prefix: string, streamName: string, runId: string): boolean {
  return streamName === `${prefix}${streamRunId(runId)}`;
}
