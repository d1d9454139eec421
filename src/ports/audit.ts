// The audit port: the transcript of a run, one event per line, hash-chained. Implemented over CloudWatch
// Logs and over a local JSON-lines file (src/audit/). The orchestrator calls these in order.
import type { OutputStream, ResolvedTarget, StepResult } from './executor.js';

export interface RunIdentity {
  repository: string;
  pullRequest: number | null;
  runbookPath: string;
  runbookDigest: string;
  /** Unique per attempt, e.g. "<GITHUB_RUN_ID>-<GITHUB_RUN_ATTEMPT>" or a random id locally. */
  runId: string;
}

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

export interface AuditLog {
  readonly location: AuditLocation;
  /** Creates the stream/file and writes run.started; throws AuditUnavailableError if it cannot. */
  runStarted(identity: RunIdentity, info: RunStartedInfo): Promise<void>;
  /** What the executor resolved the target to (instances, task), written and flushed before step 1 runs. */
  targetResolved(target: ResolvedTarget): Promise<void>;
  stepStarted(info: StepStartedInfo): Promise<void>;
  /** Streams output as it arrives; bytes need not be valid UTF-8. */
  stepOutput(index: number, stream: OutputStream, chunk: Uint8Array): Promise<void>;
  stepFinished(info: StepFinishedInfo): Promise<void>;
  runFinished(info: RunFinishedInfo): Promise<void>;
  /** Pushes everything buffered; throws AuditUnavailableError when the destination refuses. */
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

/** "Has this repository, PR and runbook digest already run, and how did it end?" Fails closed: throws when unreadable. */
export interface Ledger {
  lookup(repository: string, pullRequest: number | null, runbookDigest: string): Promise<LedgerEntry>;
  /**
   * Takes the one run slot of this repository, PR and digest for identity.runId, atomically: of two concurrent
   * attempts only one gets `claimed: true`. A slot held by an attempt whose transcript shows it ran nothing can be
   * taken over (see the README, "Run once"). Throws when the ledger cannot be written (fail closed).
   */
  claim(identity: RunIdentity): Promise<ClaimResult>;
}
