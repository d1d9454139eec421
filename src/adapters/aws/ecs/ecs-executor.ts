// StepExecutor for ECS Exec targets: prepare() finds a ready task (or starts a one-off task from the target's
// task definition), runStep() runs the step detached in the container through the native session client
// (remote-step.ts), dispose() stops the one-off task whatever happened, within a bound (else the post: step does).
import { randomUUID } from 'node:crypto';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Clock } from '../../../ports/clock.js';
import type { ResolvedTarget, StepContext, StepExecutor, StepResult } from '../../../ports/executor.js';
import type { EcsTarget, Step } from '../../../runbook/model.js';
import { loadSqlParser } from '../../../runbook/lint-sql.js';
import { errorText } from '../../../run/error-text.js';
import { renderStepScript } from '../../../run/step-script.js';
import type { GenerateDataKey } from '../kms-data-key.js';
import { lastSegment } from './arn.js';
import { runEphemeralTask, STOP_TASK_CANCELLED_MS, STOP_TASK_TIMEOUT_MS, stopEphemeralTask, waitUntilExecReady } from './ephemeral-task.js';
import { ecsDataKeyProvider } from './kms-handshake.js';
import { runRemoteStep } from './remote-step.js';
import { planRemoteStep } from './runner-command.js';
import { DEFAULT_TUNING, type EcsSessionContext, type SessionTuning } from './session-context.js';
import { selectExecTask, type SelectedTask } from './task-selection.js';
import type { TaskStateHook } from './task-state.js';

export interface EcsExecutorDeps {
  ecs: ECSClient;
  clock: Clock;
  /** The target's region (SigV4 scope of the data channel). */
  region: string;
  /** Defaults to the ECS client's own credentials. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Needed only when the cluster encrypts exec sessions with KMS. */
  generateDataKey?: GenerateDataKey;
  /** Records one-off tasks for the post: step (action only). */
  taskState?: TaskStateHook;
  tuning?: Partial<SessionTuning>;
  /** Bound and poll interval while a one-off task starts. */
  readyTimeoutMs?: number;
  readyPollMs?: number;
  diagnostic?(text: string): void;
}

export class EcsExecutor implements StepExecutor {
  private task: SelectedTask | undefined;
  private oneOff: string | undefined;
  /** The run's signal (from prepare/runStep): after a cancel, dispose() has only a short time for StopTask. */
  private runSignal: AbortSignal | undefined;
  private readonly clientId = randomUUID();

  constructor(
    private readonly target: EcsTarget,
    private readonly deps: EcsExecutorDeps,
  ) {}

  /** Idempotent: a second call keeps the task already chosen (never a second one-off task). */
  async prepare(signal: AbortSignal): Promise<ResolvedTarget> {
    this.runSignal = signal;
    this.task ??= this.target.taskDefinition ? await this.startOneOffTask(signal) : await selectExecTask(this.deps.ecs, this.target, signal);
    const kind = this.oneOff ? 'one-off ECS task' : 'ECS task';
    return {
      description: `${kind} ${lastSegment(this.task.taskArn)} (container ${this.task.containerName}) in cluster ${lastSegment(this.task.clusterArn)}`,
      members: [this.task.taskArn],
    };
  }

  async runStep(step: Step, context: StepContext): Promise<StepResult> {
    this.runSignal = context.signal;
    if (!this.task) return { status: 'error', exitCode: null, message: 'step not run: the ECS target was not prepared' };
    let script: string;
    try {
      if (step.kind === 'sql') await loadSqlParser();
      script = renderStepScript(step, context.database);
    } catch (error) {
      return { status: 'error', exitCode: null, message: `step not run: ${errorText(error)}` };
    }
    if (context.signal.aborted) return { status: 'cancelled', exitCode: null, message: 'cancelled before the step started: it did not run' };
    return runRemoteStep(this.sessionContext(this.task), planRemoteStep(context.runId, step.index, script), step, context);
  }

  async dispose(): Promise<void> {
    const arn = this.oneOff;
    this.task = undefined;
    this.oneOff = undefined;
    if (!arn) return;
    const bound = this.runSignal?.aborted ? STOP_TASK_CANCELLED_MS : STOP_TASK_TIMEOUT_MS;
    try {
      await stopEphemeralTask(this.deps.ecs, this.target.cluster, arn, 'opsgate: the run is over', bound);
    } catch (error) {
      // Still in the saved state: the post: step stops it.
      const next = this.deps.taskState ? 'the post: step will stop it' : 'stop it by hand (aws ecs stop-task)';
      throw new Error(`could not stop one-off ECS task ${lastSegment(arn)} in cluster ${this.target.cluster}: ${errorText(error)}; ${next}`, { cause: error });
    }
    this.deps.taskState?.stopped(arn);
  }

  private async startOneOffTask(signal: AbortSignal): Promise<SelectedTask> {
    const arn = await runEphemeralTask(this.deps.ecs, this.target, signal);
    this.oneOff = arn;
    this.deps.taskState?.started({ region: this.deps.region, cluster: this.target.cluster, taskArn: arn });
    return waitUntilExecReady(this.deps.ecs, this.target, arn, {
      clock: this.deps.clock,
      signal,
      ...(this.deps.readyTimeoutMs !== undefined ? { timeoutMs: this.deps.readyTimeoutMs } : {}),
      ...(this.deps.readyPollMs !== undefined ? { pollMs: this.deps.readyPollMs } : {}),
    });
  }

  private sessionContext(task: SelectedTask): EcsSessionContext {
    const kms = {};
    return {
      ecs: this.deps.ecs,
      target: this.target,
      task,
      region: this.deps.region,
      credentials: this.deps.credentials ?? this.deps.ecs.config.credentials,
      clock: this.deps.clock,
      clientId: this.clientId,
      tuning: { ...DEFAULT_TUNING, ...this.deps.tuning },
      kms,
      dataKeyProvider: (sessionId) => ecsDataKeyProvider({ target: this.target, task, sessionId, kms, generateDataKey: this.deps.generateDataKey }),
      ...(this.deps.diagnostic ? { diagnostic: this.deps.diagnostic } : {}),
    };
  }
}
