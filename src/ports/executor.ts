// The executor port: runs one step on a target and streams its output. Implemented by the local, SSM and
// ECS Exec adapters; the orchestrator (src/run/) knows nothing else about them.
import type { Database, Step, Target } from '../runbook/model.js';

export type OutputStream = 'stdout' | 'stderr';

/**
 * Receives output while the step runs. It is awaited: this is the back-pressure and the audit guarantee —
 * when it rejects (the audit log is unavailable), the executor must stop the step and return.
 */
export type OutputListener = (stream: OutputStream, chunk: Uint8Array) => Promise<void>;

export type StepStatus = 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'error';

/** One machine/task the step ran on (SSM runs one step on many instances). */
export interface TargetResult {
  id: string;
  status: StepStatus;
  exitCode: number | null;
  message: string;
}

export interface StepResult {
  status: StepStatus;
  /** The command's own exit status; null when it never ran or the status is unknowable. */
  exitCode: number | null;
  /** One line a user understands: "exited with code 3", "killed by SIGTERM", "instance i-… is not managed by SSM". */
  message: string;
  perTarget?: TargetResult[];
}

export interface StepContext {
  /** Unique per run; executors use it for per-run directories and output markers. */
  runId: string;
  /** Where the run comes from, for labels on the target side (the SSM command's Comment). */
  origin?: { repository: string; pullRequest: number | null };
  /** The resolved database for SQL steps. */
  database?: Database;
  onOutput: OutputListener;
  /** Aborted on cancellation or when the audit log fails: stop the step, return status 'cancelled'. */
  signal: AbortSignal;
  /** Environment for the step (local executor only; remote targets use their own environment). */
  env?: Record<string, string>;
}

/** What the executor resolved the target to, for the plan, the audit log and error messages. */
export interface ResolvedTarget {
  description: string;
  /** Instance ids, task ARNs, or "localhost". */
  members: string[];
}

export interface StepExecutor {
  /** Check prerequisites and resolve the target before anything runs; throws a clear Error when it cannot. */
  prepare(signal: AbortSignal): Promise<ResolvedTarget>;
  runStep(step: Step, context: StepContext): Promise<StepResult>;
  /**
   * The longest a step may legitimately take on this target, for the orchestrator's safety net. Defaults to the
   * step's own timeout; SSM with rate control runs one step on instance after instance and needs longer.
   */
  maxStepDurationMs?(step: Step): number;
  /** Release what prepare() acquired (ephemeral tasks, sessions). Called whatever happened. */
  dispose(): Promise<void>;
}

export type ExecutorFactory = (target: Target) => StepExecutor;
