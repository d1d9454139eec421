// The run-once rules, pure: how one attempt's transcript reads as a ledger entry, how the attempts of one
// repository, PR and digest combine, and when a claimed run slot may be taken over. Both ledgers and the test
// fakes use these, so they cannot disagree.
import type { AuditLocation, LedgerEntry } from '../ports/audit.js';

/** A claim whose holder has written no run.started this long after claiming is taken to have failed before starting. */
export const CLAIM_STALE_MS = 5 * 60_000;

/** The entry for an attempt whose last event is run.finished; stepsStarted says whether it touched the target. */
export function entryFromFinished(
  finished: Record<string, unknown>,
  runId: string | undefined,
  stepsStarted: number,
  stepInFlight: { index: number; name: string } | undefined,
  location?: AuditLocation,
): LedgerEntry {
  const base = { runId, outcome: String(finished.outcome), reasonCode: String(finished.reasonCode), stepsStarted, ...(location ? { location } : {}) };
  // Prepare failed, the audit refused, or the job was cancelled before step 1: nothing ran, a retry may run.
  if (stepsStarted === 0) return { state: 'never-ran', ...base };
  // A cancelled run stopped a step part-way (or between steps): its effect is unknown, like a crash.
  if (base.reasonCode === 'cancelled') return { state: 'interrupted', ...base, ...(stepInFlight ? { stepInFlight } : {}) };
  return { state: 'completed', ...base };
}

/** Reads one attempt from its control events (everything but step.output), in stored order, duplicates removed. */
export function ledgerEntryFromEvents(events: Record<string, unknown>[], location?: AuditLocation): LedgerEntry {
  const started = events.find((e) => e.type === 'run.started');
  if (!started) return { state: 'never-ran', ...(location ? { location } : {}) };
  const runId = ((started.identity ?? {}) as { runId?: string }).runId;
  const open = new Map<number, string>();
  let stopped: { index: number; name: string } | undefined;
  let stepsStarted = 0;
  for (const e of events) {
    if (e.type === 'step.started') {
      stepsStarted += 1;
      open.set(e.index as number, String(e.name));
    } else if (e.type === 'step.finished') {
      open.delete(e.index as number);
      if (e.status === 'cancelled' || e.status === 'timed-out') stopped = { index: e.index as number, name: String(e.name) };
    }
  }
  const openStep = [...open.entries()].at(-1);
  const inFlight = openStep ? { index: openStep[0], name: openStep[1] } : stopped;
  const finished = events.find((e) => e.type === 'run.finished');
  if (finished) return entryFromFinished(finished, runId, stepsStarted, inFlight, location);
  // Started and never finished: a crash or a kill, or still running. Either way it blocks (fail closed).
  return { state: 'interrupted', runId, stepsStarted, ...(inFlight ? { stepInFlight: inFlight } : {}), ...(location ? { location } : {}) };
}

/**
 * One answer for all attempts, oldest first. Anything that may have changed production wins: an interrupted
 * attempt, then a completed one. Attempts that ran nothing never block; the latest of them is returned for the record.
 */
export function combineLedgerEntries(entries: LedgerEntry[]): LedgerEntry {
  return (
    entries.find((e) => e.state === 'interrupted') ??
    entries.find((e) => e.state === 'completed') ??
    [...entries].reverse().find((e) => e.runId !== undefined) ??
    entries.at(-1) ?? { state: 'never-ran' }
  );
}

export type TakeOver = { allowed: true } | { allowed: false; why: string };

/**
 * May a new attempt take a run slot from its holder? Only when the holder provably ran nothing and can no longer
 * start: its transcript ended before any step started, or it has written no run.started for CLAIM_STALE_MS
 * (claiming and run.started are seconds apart in a live run). `holder` is undefined when the holder's transcript
 * has no run.started (or there is none).
 */
export function mayTakeOver(holder: LedgerEntry | undefined, claimAgeMs: number): TakeOver {
  const recordedStart = holder !== undefined && holder.runId !== undefined;
  if (recordedStart && holder.state === 'never-ran') return { allowed: true };
  if (recordedStart) {
    const what =
      holder.state === 'completed'
        ? `finished (${holder.reasonCode ?? holder.outcome ?? 'unknown'})`
        : holder.stepsStarted
          ? 'started steps and has not finished'
          : 'recorded its start and has not finished (it may still be preparing the target)';
    return { allowed: false, why: `that attempt ${what}` };
  }
  if (claimAgeMs >= CLAIM_STALE_MS) return { allowed: true };
  const wait = Math.ceil((CLAIM_STALE_MS - claimAgeMs) / 1000);
  return {
    allowed: false,
    why: `that attempt claimed it ${Math.max(0, Math.round(claimAgeMs / 1000))} s ago and has not recorded a start yet, so it may be about to run; if its job has ended, re-run this one in ${wait} s or later`,
  };
}
