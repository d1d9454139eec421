// Derives a ledger entry from the (non-output) events of one transcript. Pure.
import type { AuditLocation, LedgerEntry } from '../ports/audit.js';

export function ledgerEntryFromEvents(events: Record<string, unknown>[], location?: AuditLocation): LedgerEntry {
  const started = events.find((e) => e.type === 'run.started');
  const runId = ((started?.identity ?? {}) as { runId?: string }).runId;
  const finished = events.find((e) => e.type === 'run.finished');
  if (finished) return { state: 'completed', runId, outcome: String(finished.outcome), reasonCode: String(finished.reasonCode), location };
  const open = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'step.started') open.set(e.index as number, String(e.name));
    if (e.type === 'step.finished') open.delete(e.index as number);
  }
  const inFlight = [...open.entries()].at(-1);
  return { state: 'interrupted', runId, ...(inFlight ? { stepInFlight: { index: inFlight[0], name: inFlight[1] } } : {}), location };
}
