// The audit port: the transcript of a run, one event per line, hash-chained. Implemented over CloudWatch
// Logs and over a local JSON-lines file (src/audit/). The orchestrator calls these in order.
import type { OutputStream, ResolvedTarget, StepResult } from './executor.js';

export interface RunIdentity {
  repository: string;
  pullRequest: number | null;
  runbookPath: string;
  runbookDigest: string;
  /**
   * The workflow run attempt, e.g. "<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>" or a random id locally. Every job of one
   * run attempt shares it (a matrix, copied jobs), so it does not tell two concurrent claimants apart.
   */
  runId: string;
  /** GITHUB_JOB: which job of the run, for the transcript and for messages about who holds the run slot. */
  job?: string;
}

/** One runbook's run slot: every attempt of the same repository, PR, runbook path and digest shares it. */
export type RunSlot = Pick<RunIdentity, 'repository' | 'pullRequest' | 'runbookPath' | 'runbookDigest'>;

export interface RunStartedInfo {
  mergeSha?: string;
  author?: string;
  approvers: { login: string; reviewId?: number }[];
  target: { name: string; description: string; members: string[] };
  window?: { notBefore?: string; notAfter?: string };
  workflowRunUrl?: string;
  title: string;
  ticket?: string;
}

export interface StepStartedInfo {
  index: number;
  name: string;
  kind: 'shell' | 'sql';
  /** The exact command or SQL, already redacted. */
  command: string;
}

export interface StepFinishedInfo {
  index: number;
  name: string;
  result: StepResult;
  durationMs: number;
}

export interface RunFinishedInfo {
  outcome: string;
  reasonCode: string;
  message: string;
}

/** Where the transcript lives, for links and messages. */
export interface AuditLocation {
  kind: 'cloudwatch' | 'file';
  /** Human text: "CloudWatch Logs /opsgate/audit, stream …" or a file path. */
  description: string;
  consoleUrl?: string;
  insightsUrl?: string;
  /** Set when the destination failed mid-run: the local file that kept every line written so far. */
  localCopy?: string;
  /** Set once run.finished is written: the last event's seq and sha256, published so a cut or rewritten tail shows. */
  chainHead?: { seq: number; sha256: string };
}

/**
 * Durability: runStarted returns only once run.started is stored (it proves the destination takes the transcript).
 * Every other write may be buffered, and is durable only after a flush() that resolves; an implementation may push
 * earlier (a full batch, a silent step's idle timer) but never promises to. The caller owns the durability points,
 * in one place (src/run/orchestrator.ts): after target.resolved and after step.started (both before the step runs,
 * so a job killed mid-step leaves "this step started" for the ledger), after step.finished, after run.finished.
 */
export interface AuditLog {
  readonly location: AuditLocation;
  /** Creates the stream/file and stores run.started; throws AuditUnavailableError if it cannot. */
  runStarted(identity: RunIdentity, info: RunStartedInfo): Promise<void>;
  /** What the executor resolved the target to (instances, task); the caller flushes it before step 1 runs. */
  targetResolved(target: ResolvedTarget): Promise<void>;
  stepStarted(info: StepStartedInfo): Promise<void>;
  /** Streams output as it arrives; bytes need not be valid UTF-8. */
  stepOutput(index: number, stream: OutputStream, chunk: Uint8Array): Promise<void>;
  stepFinished(info: StepFinishedInfo): Promise<void>;
  runFinished(info: RunFinishedInfo): Promise<void>;
  /** Makes everything written so far durable; throws AuditUnavailableError when the destination refuses. */
  flush(): Promise<void>;
}

/** Raised when the audit destination cannot take the transcript; production work must stop. */
export class AuditUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditUnavailableError';
  }
}

export type LedgerState = 'never-ran' | 'completed' | 'interrupted';

export interface LedgerEntry {
  /**
   * never-ran: no attempt touched the target (no transcript, a stream without run.started, or a run that ended
   * before any step started; stepsStarted says which). completed: run.finished after at least one step started.
   * interrupted: steps started and the run never finished, or it finished as cancelled.
   */
  state: LedgerState;
  runId?: string;
  /** How the run ended (run.finished decision and reason code); also set for a never-ran attempt that finished. */
  outcome?: string;
  reasonCode?: string;
  /** step.started events the attempt recorded; 0 for an attempt that ran nothing. */
  stepsStarted?: number;
  /** For interrupted runs: the step that was in flight (or was stopped by the cancellation). */
  stepInFlight?: { index: number; name: string };
  location?: AuditLocation;
}

export type ClaimResult = { claimed: true } | { claimed: false; byRunId?: string; message: string };

/**
 * "Has this runbook (repository, PR, path and digest) already run, and how did it end?" Fails closed: throws when
 * unreadable. Two files with the same content in one PR are two runbooks: the path is part of the slot.
 */
export interface Ledger {
  lookup(slot: RunSlot): Promise<LedgerEntry>;
  /**
   * Takes the run slot of identity's runbook for this call, atomically: of two concurrent claims only one gets
   * `claimed: true`, even when both carry the same runId (two jobs of one workflow run). A slot held by an attempt
   * whose transcript shows it ran nothing can be taken over (see the README, "Run once"). Throws when the ledger
   * cannot be written (fail closed).
   */
  claim(identity: RunIdentity): Promise<ClaimResult>;
}
