// The run slot of one repository, PR and runbook digest, taken atomically so two concurrent attempts cannot both
// run. A slot is a sequence of claim generations; creating generation g is atomic in each store (CloudWatch
// CreateLogStream, a file opened with O_EXCL). Generation 1 is the first claim; a take-over creates the next one,
// and only when mayTakeOver says the holder ran nothing. Of two attempts racing for the same generation, one wins.
// A claimant knows its own record by a random nonce, never by its run id: every job of one workflow run shares that.
import { randomUUID } from 'node:crypto';
import type { ClaimResult, LedgerEntry, RunIdentity } from '../ports/audit.js';
import type { Clock } from '../ports/clock.js';
import { mayTakeOver } from './ledger-state.js';

export interface ClaimRecord {
  type: 'claim';
  runId: string;
  /** Random per claim: tells this claimant from another job of the same run (records written before it have none). */
  nonce?: string;
  /** GITHUB_JOB of the claimant, for messages. */
  job?: string;
  /** Epoch ms on the claimant's clock. */
  time: number;
  takeOverOf?: string;
}

export interface ClaimGeneration {
  generation: number;
  /** Where it is kept, for messages ("CloudWatch Logs G, stream S" or a path). */
  where: string;
  /** Undefined when the claimant created it and has not written its record (yet, or ever). */
  record?: ClaimRecord;
  /** When the store created it, if it knows (epoch ms); used when there is no record. */
  createdMs?: number;
}

export interface ClaimStore {
  newest(): Promise<ClaimGeneration | undefined>;
  /** Creates the generation holding `record`; false when it already exists. Throws when the store refuses. */
  create(generation: number, record: ClaimRecord): Promise<boolean>;
  /** The holder's own transcript read as a ledger entry; undefined when it has none with run.started. */
  holderEntry(runId: string): Promise<LedgerEntry | undefined>;
}

const MAX_ROUNDS = 8;
/** A claim just created has its record a moment later (CloudWatch: a second call); wait that long for it. */
const RECORD_GRACE_MS = 5_000;
const RECORD_POLL_MS = 250;

export async function claimRunSlot(store: ClaimStore, identity: RunIdentity, clock: Clock, nonce: string = randomUUID()): Promise<ClaimResult> {
  const now = () => clock.now().getTime();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const newest = await store.newest();
    const record: ClaimRecord = { type: 'claim', runId: identity.runId, nonce, ...(identity.job ? { job: identity.job } : {}), time: now() };
    if (!newest) {
      if (await store.create(1, record)) return { claimed: true };
      continue;
    }
    if (!newest.record && now() - (newest.createdMs ?? 0) < RECORD_GRACE_MS && round < MAX_ROUNDS - 1) {
      await clock.sleep(RECORD_POLL_MS);
      continue;
    }
    if (newest.record?.nonce === nonce) return { claimed: true }; // this call's own claim, read back
    const holder = newest.record?.runId;
    const entry = holder === undefined ? undefined : await store.holderEntry(holder);
    const age = now() - (newest.record?.time ?? newest.createdMs ?? now());
    const verdict = mayTakeOver(entry, age);
    if (!verdict.allowed) {
      const job = newest.record?.job ? `, job ${newest.record.job}` : '';
      const who = holder ? `run ${holder}${job}` : 'an attempt that has not recorded its run id';
      return { claimed: false, ...(holder ? { byRunId: holder } : {}), message: `the run slot is held by ${who} (${newest.where}): ${verdict.why}.` };
    }
    if (await store.create(newest.generation + 1, { ...record, ...(holder ? { takeOverOf: holder } : {}) })) return { claimed: true };
  }
  throw new Error(`the run slot of ${identity.runbookPath} changed hands ${MAX_ROUNDS} times while claiming it; try again.`);
}

/** A claim record read back; undefined for anything else. */
export function claimRecordOf(value: unknown): ClaimRecord | undefined {
  const v = value as Partial<ClaimRecord> | null;
  if (!v || v.type !== 'claim' || typeof v.runId !== 'string' || typeof v.time !== 'number') return undefined;
  return { type: 'claim', runId: v.runId, time: v.time, ...optionalText(v, 'nonce'), ...optionalText(v, 'job'), ...optionalText(v, 'takeOverOf') };
}

function optionalText(v: Partial<ClaimRecord>, key: 'nonce' | 'job' | 'takeOverOf'): Partial<ClaimRecord> {
  return typeof v[key] === 'string' ? { [key]: v[key] } : {};
}
