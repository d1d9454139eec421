// StepExecutor for ECS Exec: picks a ready task, calls ecs:ExecuteCommand, drives the SSM data channel
// natively (session/), streams the step's output and reads its exit status from a random end marker.
import { randomUUID } from 'node:crypto';
import { ExecuteCommandCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { Clock } from '../../ports/clock.js';
import type { ResolvedTarget, StepContext, StepExecutor, StepResult } from '../../ports/executor.js';
import type { EcsTarget, Step } from '../../runbook/model.js';
import { loadSqlParser } from '../../runbook/lint-sql.js';
import { renderStepScript } from '../../run/step-script.js';
import { buildExecCommand, describeExitCode, newExitMarker, splitExitMarker } from './ecs-exec-command.js';
import { selectExecTask, type SelectedTask } from './ecs-task-selection.js';
import { ecsKmsTargetId, kmsEncryptionContext } from './session/kms-context.js';
import { openSession, type SessionEnd } from './session/session-client.js';
import { PayloadType } from './session/message.js';
import type { DataKeyProvider } from './session/session-protocol.js';

/** kms:GenerateDataKey, handed in (a KMSClient wrapper in production, a stand-in in tests). */
export type GenerateDataKey = (request: {
  KeyId: string;
  NumberOfBytes: number;
  EncryptionContext: Record<string, string>;
}) => Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>;

export interface EcsExecutorDeps {
  ecs: ECSClient;
  clock: Clock;
  /** Needed only when the cluster encrypts exec sessions with KMS. */
  generateDataKey?: GenerateDataKey;
}

export class EcsExecutor implements StepExecutor {
  private task: SelectedTask | undefined;
  private readonly clientId = randomUUID();

  constructor(
    private readonly target: EcsTarget,
    private readonly deps: EcsExecutorDeps,
  ) {}

  async prepare(signal: AbortSignal): Promise<ResolvedTarget> {
    this.task = await selectExecTask(this.deps.ecs, this.target, signal);
    return {
      description: `ECS task ${lastSegment(this.task.taskArn)} (container ${this.task.containerName}) in cluster ${lastSegment(this.task.clusterArn)}`,
      members: [this.task.taskArn],
    };
  }

  async runStep(step: Step, context: StepContext): Promise<StepResult> {
    const task = this.task ?? (await this.prepareAndGet(context.signal));
    const marker = newExitMarker();
    let command: string;
    try {
      if (step.kind === 'sql') await loadSqlParser();
      command = buildExecCommand(renderStepScript(step, context.database), marker);
    } catch (error) {
      return { status: 'error', exitCode: null, message: `step not run: ${errorText(error)}` };
    }
    let response;
    try {
      response = await this.deps.ecs.send(
        new ExecuteCommandCommand({
          cluster: this.target.cluster,
          task: task.taskArn,
          container: task.containerName,
          command,
          interactive: true,
        }),
        { abortSignal: context.signal },
      );
    } catch (error) {
      return { status: 'error', exitCode: null, message: `ecs:ExecuteCommand failed: ${errorText(error)}` };
    }
    const session = response.session;
    if (!session?.streamUrl || !session.tokenValue || !session.sessionId) {
      return { status: 'error', exitCode: null, message: 'ecs:ExecuteCommand returned no session' };
    }
    const sessionId = session.sessionId;
    const stream = new MarkerStream(marker.maxLength + 2, context, () => handle.close());
    const handle = openSession({
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      clientId: this.clientId,
      clock: this.deps.clock,
      signal: context.signal,
      onData: (type, bytes) => {
        if (type !== PayloadType.ExitCode) stream.push(bytes);
      },
      dataKeyProvider: this.dataKeyProvider(sessionId, task),
    });
    handle.sendSize(500, 100);
    const timer = new AbortController();
    let timedOut = false;
    void this.deps.clock.sleep(step.timeoutSeconds * 1000, timer.signal).then(
      () => {
        timedOut = true;
        handle.close(); // ends the session; the agent then hangs up the pty
      },
      () => undefined,
    );
    const end = await handle.ended;
    timer.abort();
    const outputError = await stream.settled();
    if (outputError) return { status: 'cancelled', exitCode: null, message: `output could not be recorded: ${errorText(outputError)}` };
    const { body, exitCode } = splitExitMarker(stream.tail(), marker);
    if (timedOut && exitCode === null) {
      await context.onOutput('stdout', body).catch(() => undefined);
      return { status: 'timed-out', exitCode: null, message: `timed out after ${step.timeoutSeconds} s; the ECS Exec session was closed` };
    }
    if (body.length > 0) {
      const tailError = await context.onOutput('stdout', body).then(() => undefined, (e: unknown) => e);
      if (tailError) return { status: 'cancelled', exitCode, message: `output could not be recorded: ${errorText(tailError)}` };
    }
    return resultFor(end, exitCode, context.signal);
  }

  async dispose(): Promise<void> {
    this.task = undefined;
  }

  private async prepareAndGet(signal: AbortSignal): Promise<SelectedTask> {
    await this.prepare(signal);
    if (!this.task) throw new Error('no ECS task selected');
    return this.task;
  }

  private dataKeyProvider(sessionId: string, task: SelectedTask): DataKeyProvider {
    return async ({ kmsKeyId }) => {
      if (!this.deps.generateDataKey) throw new Error('the cluster encrypts ECS Exec with KMS but no KMS client is configured');
      const targetId = ecsKmsTargetId(task.clusterArn, task.taskArn, task.runtimeId);
      const key = await this.deps.generateDataKey({
        KeyId: kmsKeyId,
        NumberOfBytes: 64,
        EncryptionContext: kmsEncryptionContext(sessionId, targetId),
      });
      if (!key.Plaintext || !key.CiphertextBlob) throw new Error('GenerateDataKey returned no key');
      return { plaintext: Buffer.from(key.Plaintext), ciphertextBlob: Buffer.from(key.CiphertextBlob), challengeAcknowledged: false };
    };
  }
}

function resultFor(end: SessionEnd, exitCode: number | null, signal: AbortSignal): StepResult {
  if (signal.aborted || end.kind === 'aborted') return { status: 'cancelled', exitCode: null, message: 'cancelled' };
  if (exitCode !== null) {
    return { status: exitCode === 0 ? 'succeeded' : 'failed', exitCode, message: describeExitCode(exitCode) };
  }
  if (end.kind === 'failed') return { status: 'error', exitCode: null, message: `ECS Exec session failed: ${end.error.message}` };
  if (end.kind === 'channel-closed' && end.output) {
    return { status: 'error', exitCode: null, message: `ECS Exec session closed: ${end.output.trim()}` };
  }
  return { status: 'error', exitCode: null, message: describeExitCode(null) };
}

/** Forwards output in order through the awaited listener, holding back a tail that may be the marker. */
class MarkerStream {
  private held = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly holdBytes: number,
    private readonly context: StepContext,
    private readonly onFailure: () => void,
  ) {}

  push(bytes: Buffer): void {
    const combined = this.held.length ? Buffer.concat([this.held, bytes]) : bytes;
    const cut = Math.max(0, combined.length - this.holdBytes);
    this.held = Buffer.from(combined.subarray(cut));
    if (cut === 0) return;
    const ready = combined.subarray(0, cut);
    this.chain = this.chain.then(async () => {
      if (this.failure === undefined) await this.context.onOutput('stdout', ready).catch((e: unknown) => {
          this.failure = e;
          this.onFailure(); // stop the step: nothing may run unrecorded
        });
    });
  }

  async settled(): Promise<unknown> {
    await this.chain;
    return this.failure;
  }

  tail(): Buffer {
    return this.held;
  }
}

function lastSegment(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name !== 'Error' ? error.name + ': ' : ''}${error.message}`;
  return String(error);
}
