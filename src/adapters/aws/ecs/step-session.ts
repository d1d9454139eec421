// One ECS Exec session for one step: ExecuteCommand with the runner command, the data channel, the runner's
// records in, control lines out (flow-control grants, keep-alives, stop, final acknowledgement). A step may
// need several of these when connections drop; remote-step.ts loops over them.
import { ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { openSession, type SessionEnd, type SessionHandle } from '../session/session-client.js';
import { PayloadType } from '../session/message.js';
import { signUpgradeHeaders } from '../session/upgrade-signing.js';
import { buildRunCommand, buildStopCommand, type RemoteStepPlan } from './runner-command.js';
import { RunnerRecordParser, type RunnerRecord } from './runner-records.js';
import type { StepOutput } from './step-output.js';
import type { StopControl } from './step-stop.js';
import type { EcsSessionContext } from './session-context.js';
import { classifyExecError, classifySessionEnd } from './session-outcome.js';

export type AttachOutcome =
  | { kind: 'exit'; code: number | 'lost'; how: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'dropped'; reason: string; attached: boolean }
  | { kind: 'fatal'; message: string };

const MAX_NOISE_BYTES = 4096;

export async function attachOnce(ctx: EcsSessionContext, plan: RemoteStepPlan, output: StepOutput, stop: StopControl, attachedBefore: boolean): Promise<AttachOutcome> {
  const mode = stop.reason ? 'stop' : 'run';
  const position = { ...output.received, grant: output.grant };
  const command = mode === 'run' ? buildRunCommand(plan, position) : buildStopCommand(plan, position);
  let response;
  try {
    response = await ctx.ecs.send(
      new ExecuteCommandCommand({ cluster: ctx.target.cluster, task: ctx.task.taskArn, container: ctx.task.containerName, command, interactive: true }),
    );
  } catch (error) {
    return classifyExecError(ctx, error, attachedBefore);
  }
  const session = response.session;
  if (!session?.streamUrl || !session.tokenValue || !session.sessionId) return { kind: 'dropped', reason: 'ecs:ExecuteCommand returned no session', attached: false };
  const headers = await signUpgradeHeaders({ streamUrl: session.streamUrl, region: ctx.region, credentials: ctx.credentials }).catch((error: unknown) => {
    ctx.diagnostic?.(`could not sign the data-channel upgrade, connecting unsigned: ${String(error)}`);
    return {};
  });
  return new LiveAttach(ctx, plan, output, stop, session.sessionId).run(session.streamUrl, session.tokenValue, headers);
}

class LiveAttach {
  private readonly parser: RunnerRecordParser;
  private handle!: SessionHandle;
  private attached = false;
  private exit: { code: number | 'lost'; how: string } | undefined;
  private refused: string | undefined;
  private noise = Buffer.alloc(0);
  private lastGrant: number;
  private lastInputMs: number;
  private readonly done = new AbortController();

  constructor(
    private readonly ctx: EcsSessionContext,
    plan: RemoteStepPlan,
    private readonly output: StepOutput,
    private readonly stop: StopControl,
    private readonly sessionId: string,
  ) {
    this.parser = new RunnerRecordParser(plan.token);
    this.lastGrant = output.grant;
    this.lastInputMs = ctx.clock.now().getTime();
  }

  async run(streamUrl: string, tokenValue: string, headers: Record<string, string>): Promise<AttachOutcome> {
    this.handle = openSession({
      streamUrl,
      tokenValue,
      clientId: this.ctx.clientId,
      clock: this.ctx.clock,
      headers,
      openTimeoutMs: this.ctx.tuning.openTimeoutMs,
      onData: (type, bytes) => {
        if (type === PayloadType.Output) for (const record of this.parser.push(bytes)) this.onRecord(record);
      },
      dataKeyProvider: this.ctx.dataKeyProvider(this.sessionId),
      ...(this.ctx.diagnostic ? { onDiagnostic: this.ctx.diagnostic } : {}),
    });
    this.handle.sendSize(200, 50);
    const unsubscribes = [this.output.onConsumed(() => this.maybeGrant()), this.stop.onRequest(() => this.sendStop()), this.stop.onRequest(() => this.startStopBudget())];
    void this.keepAlive();
    const end = await this.handle.ended;
    this.done.abort();
    for (const unsubscribe of unsubscribes) unsubscribe();
    return this.outcome(end);
  }

  private onRecord(record: RunnerRecord): void {
    switch (record.kind) {
      case 'noise':
        if (!this.attached && this.noise.length < MAX_NOISE_BYTES) this.noise = Buffer.concat([this.noise, record.bytes]).subarray(0, MAX_NOISE_BYTES);
        else if (this.attached) this.ctx.diagnostic?.(`ignored ${record.bytes.length} bytes outside the runner's records`);
        return;
      case 'started':
        return this.ctx.diagnostic?.('this session started the step');
      case 'hello':
        return this.onHello(record.stdout, record.stderr);
      case 'data':
        return this.output.push(record.stream, record.bytes);
      case 'exit':
        this.exit = { code: record.code, how: record.how };
        return void this.finish();
      case 'stopped':
        return this.stop.confirm({ code: record.code, how: record.how });
      case 'refused':
        this.refused = record.reason;
        return;
      case 'keepalive':
        return;
    }
  }

  private onHello(stdout: number, stderr: number): void {
    if (stdout !== this.output.received.stdout || stderr !== this.output.received.stderr) {
      this.ctx.diagnostic?.(`runner attached at ${stdout}/${stderr}, expected ${this.output.received.stdout}/${this.output.received.stderr}`);
      return this.handle.close();
    }
    this.attached = true;
    if (this.stop.reason) this.sendStop();
  }

  /** All output recorded: tell the runner to remove the step directory, then let the session end. */
  private async finish(): Promise<void> {
    await this.output.settled();
    if (this.output.failure) return this.handle.close();
    this.send('a');
    const wait = this.stop.reason ? this.ctx.tuning.stoppingCleanupMs : this.ctx.tuning.cleanupMs;
    await this.ctx.clock.sleep(wait, this.done.signal).catch(() => undefined);
    this.handle.close();
  }

  private maybeGrant(): void {
    const grant = this.output.grant;
    if (!this.attached || grant - this.lastGrant < this.output.windowBytes / 2) return;
    this.lastGrant = grant;
    this.send(`g ${grant}`);
  }

  private sendStop(): void {
    if (this.attached && !this.exit) this.send('x');
  }

  private send(line: string): void {
    this.lastInputMs = this.ctx.clock.now().getTime();
    this.handle.sendInput(Buffer.from(`${line}\n`, 'latin1'));
  }

  /** Input keeps the session from the 20-minute idle timeout while the step is silent. */
  private async keepAlive(): Promise<void> {
    const every = this.ctx.tuning.keepAliveMs;
    while (!this.done.signal.aborted) {
      const wait = Math.max(1, this.lastInputMs + every - this.ctx.clock.now().getTime());
      if (!(await this.ctx.clock.sleep(wait, this.done.signal).then(() => true, () => false))) return;
      if (this.attached && this.ctx.clock.now().getTime() - this.lastInputMs >= every) this.send('k');
    }
  }

  /** Once a stop is requested the session gets a bounded time to confirm it; then it is closed. */
  private startStopBudget(): void {
    const left = Math.max(0, this.ctx.tuning.stopBudgetMs - this.stop.elapsedMs());
    this.ctx.clock.sleep(left, this.done.signal).then(
      () => this.handle.close(),
      () => undefined,
    );
  }

  private outcome(end: SessionEnd): AttachOutcome {
    if (this.exit) return { kind: 'exit', ...this.exit };
    if (this.refused) return { kind: 'refused', reason: this.refused };
    return classifySessionEnd(this.ctx, end, { attached: this.attached, noise: this.noise });
  }
}
