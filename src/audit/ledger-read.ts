// Reads one attempt's transcript for the ledger, cheaply: its first event (run.started, whose identity must
// match) and its last; only when the last is not a conclusive run.finished is the whole transcript scanned.
// The stores (CloudWatch, files) provide the reads; the rules are in ledger-state.ts.
import type { AuditLocation, LedgerEntry, RunSlot } from '../ports/audit.js';
import { entryFromFinished, ledgerEntryFromEvents } from './ledger-state.js';
import { StoredLineReader } from './stored-lines.js';

export interface AttemptSource {
  /** "stream S of log group G" or a path, for messages. */
  where: string;
  /** Raw stored messages, oldest first; `pageSize` hints how many are wanted at a time. */
  messages(pageSize?: number): AsyncIterable<string>;
  /** The newest raw message, or undefined when there is none. */
  lastMessage(): Promise<string | undefined>;
}

/** Whose attempts count: the runbook's slot, its path included (a stream name or file name is only a hint). */
export type ExpectedIdentity = RunSlot;

export type LocationFor = (range: { start: number; end?: number } | undefined) => AuditLocation;

/** The first whole event, joining parts if run.started was split. */
export async function firstEvent(source: AttemptSource): Promise<Record<string, unknown> | undefined> {
  const reader = new StoredLineReader();
  let n = 0;
  for await (const message of source.messages(5)) {
    const stored = reader.add(message, `event ${++n} of ${source.where}`);
    if (stored) return stored.event;
    if (!reader.insideSplit) throw new Error(`${source.where}: its first event cannot be read back whole; check it with \`opsgate audit verify\`.`);
  }
  return undefined;
}

/** Every event except step.output, whole and without retry copies. Memory: the control events only. */
export async function controlEvents(source: AttemptSource): Promise<Record<string, unknown>[]> {
  const reader = new StoredLineReader();
  const events: Record<string, unknown>[] = [];
  let n = 0;
  for await (const message of source.messages()) {
    const stored = reader.add(message, `event ${++n} of ${source.where}`);
    if (stored && stored.event.type !== 'step.output') events.push(stored.event);
  }
  return events;
}

function matches(identity: unknown, expected: ExpectedIdentity): boolean {
  const id = (identity ?? {}) as { repository?: unknown; pullRequest?: unknown; runbookPath?: unknown; runbookDigest?: unknown };
  return (
    id.repository === expected.repository &&
    (id.pullRequest ?? null) === expected.pullRequest &&
    id.runbookPath === expected.runbookPath &&
    id.runbookDigest === expected.runbookDigest
  );
}

const timeOf = (event: Record<string, unknown> | undefined): number | undefined => {
  const ms = Date.parse(String(event?.time));
  return Number.isFinite(ms) ? ms : undefined;
};

/**
 * The attempt as a ledger entry; undefined when it belongs to another repository, PR, path or digest (a stream name
 * prefix is only a hint). A transcript with no event at all is an attempt that never started.
 */
export async function readAttempt(source: AttemptSource, expected: ExpectedIdentity, locationFor: LocationFor): Promise<LedgerEntry | undefined> {
  const first = await firstEvent(source);
  if (!first) return { state: 'never-ran', location: locationFor(undefined) };
  if (first.type !== 'run.started') throw new Error(`${source.where} does not begin with run.started (it begins with ${String(first.type)}); check it with \`opsgate audit verify\`.`);
  if (!matches(first.identity, expected)) return undefined;
  const runId = (first.identity as { runId?: string }).runId;
  const start = timeOf(first);
  const lastText = await source.lastMessage();
  const last = lastText === undefined ? undefined : new StoredLineReader().add(lastText, `the last event of ${source.where}`)?.event;
  // run.finished records how many steps started; a cancelled run needs the full read for the step in flight.
  if (last?.type === 'run.finished' && typeof last.stepsStarted === 'number' && last.reasonCode !== 'cancelled') {
    return entryFromFinished(last, runId, last.stepsStarted, undefined, locationFor(start === undefined ? undefined : { start, end: timeOf(last) }));
  }
  const events = await controlEvents(source);
  const finished = events.find((e) => e.type === 'run.finished');
  return ledgerEntryFromEvents(events, locationFor(start === undefined ? undefined : { start, end: timeOf(finished) }));
}
