// One simulated ECS Exec session, agent and gateway roles together (protocol doc appendix C): OpenDataChannel,
// no handshake unless KMS is on (then SessionType + KMSEncryption + challenge), the command on a real pty with
// the agent's 1 s delay, ≤1024-byte UTF-8-safe output chunks, acks and retransmission, faults in both
// directions, pause/start_publication, the idle and handshake timeouts, channel_closed at the end.
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { decodeMessage, MessageType, PayloadType, validationProblem, type DecodedMessage } from '../../../src/adapters/aws/session/message.js';
import { AgentCipher } from './agent-cipher.js';
import { ackedSequence, agentAck, AgentInbox, AgentOutbox, controlFrame } from './agent-wire.js';
import type { FaultInjector } from './faults.js';
import { spawnOnPty, Utf8Chunker } from './pty-process.js';
import type { SimClock } from './sim-clock.js';

export const IDLE_TEXT = 'Your session timed out due to inactivity and has been terminated.';
export const HANDSHAKE_TIMEOUT_TEXT = 'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.';

export interface SessionSpec {
  sessionId: string;
  tokenValue: string;
  command: string;
  kmsKeyId?: string;
  targetId?: string;
}

export interface SessionEnv {
  clock: SimClock;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  ptyDelayMs: number;
  containerEnv: Record<string, string>;
  outgoing: FaultInjector;
  incoming: FaultInjector;
  pause?: { everyMs: number; forMs: number };
  kmsDecrypt?: (ciphertext: Buffer, context: Record<string, string>) => Buffer;
  events: {
    started(child: ChildProcess): void;
    rejected(problem: string): void;
    /** Client behaviour the real agent or plugin contract rules out (the test must fail on it). */
    violation(problem: string): void;
    idleTimeout(): void;
    handshakeTimeout(): void;
    input(bytes: Buffer): void;
    pause(): void;
    output(bytes: number): void;
  };
}

export class AgentSession {
  private readonly outbox = new AgentOutbox();
  private readonly inbox = new AgentInbox();
  private readonly chunker = new Utf8Chunker();
  private cipher: AgentCipher | undefined;
  private challenge: Buffer | undefined;
  private handshake: 'none' | 'pending' | 'done';
  private handshakeStartedAt = 0;
  private child: ChildProcess | undefined;
  private ptyReadyAt = Infinity;
  private held: Buffer[] = [];
  private exited = false;
  private exitedAt = 0;
  private closed = false;
  private lastInputAt: number;
  private readonly timer: NodeJS.Timeout;
  private nextPauseAt: number;
  private pausedUntil = 0;

  constructor(
    private readonly spec: SessionSpec,
    private readonly socket: WebSocket,
    private readonly env: SessionEnv,
  ) {
    this.handshake = spec.kmsKeyId ? 'pending' : 'none';
    this.lastInputAt = env.clock.now();
    this.nextPauseAt = env.pause ? Date.now() + env.pause.everyMs : Infinity;
    this.timer = setInterval(() => this.tick(), 50);
  }

  begin(): void {
    if (this.handshake === 'none') return this.startPty();
    this.handshakeStartedAt = this.env.clock.now();
    const actions: unknown[] = [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'InteractiveCommands', Properties: null } }];
    actions.push({ ActionType: 'KMSEncryption', ActionParameters: { KMSKeyId: this.spec.kmsKeyId, Challenge: randomBytes(16).toString('base64') } });
    this.sendStream(PayloadType.HandshakeRequest, Buffer.from(JSON.stringify({ AgentVersion: '3.3.0.0', RequestedClientActions: actions })));
  }

  /** The connection drops: no channel_closed; the pty and its session die, a detached process lives on. */
  cut(): void {
    this.socket.terminate();
    this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.closed = true;
    if (this.child?.pid && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  receive(raw: Buffer): void {
    for (const frame of this.env.incoming.apply(raw)) this.receiveOne(frame);
  }

  private receiveOne(raw: Buffer): void {
    let message: DecodedMessage;
    try {
      message = decodeMessage(raw);
    } catch (error) {
      return this.env.events.rejected((error as Error).message);
    }
    const problem = validationProblem(message);
    if (problem) return this.env.events.rejected(`${message.messageType} seq ${message.sequenceNumber}: ${problem}`);
    if (message.messageType === MessageType.Acknowledge) {
      const seq = ackedSequence(message);
      if (seq === undefined) return this.env.events.rejected('acknowledge without a sequence number');
      if (this.outbox.acknowledge(seq, Date.now()) === 'never-sent-intact') {
        this.env.events.violation(`the client acknowledged output seq ${seq}, of which only a corrupted copy was sent (it did not check the payload digest)`);
      }
      return;
    }
    if (message.messageType !== MessageType.InputStreamData) return this.env.events.rejected(`unexpected ${message.messageType} from the client`);
    const verdict = this.inbox.accept(message, this.readyFor(message));
    if (verdict.ack) this.sendRaw(agentAck(message, Date.now()));
    for (const delivered of verdict.deliver) this.process(delivered);
  }

  /** Handshake answers are always taken; Size and stdin only once the pty exists (else no ack: resend). */
  private readyFor(message: DecodedMessage): boolean {
    if (message.payloadType === PayloadType.HandshakeResponse || message.payloadType === PayloadType.EncChallengeResponse) return true;
    return this.handshake === 'pending' || this.child !== undefined;
  }

  private process(message: DecodedMessage): void {
    if (message.payloadType === PayloadType.HandshakeResponse) return this.onHandshakeResponse(message.payload);
    if (message.payloadType === PayloadType.EncChallengeResponse) return this.onChallengeResponse(message.payload);
    if (this.handshake === 'pending') return; // acked but discarded, like the agent
    this.lastInputAt = this.env.clock.now();
    if (message.payloadType !== PayloadType.Output) return;
    let bytes = message.payload;
    if (this.cipher) {
      try {
        bytes = this.cipher.open(bytes);
      } catch {
        return this.closeChannel('Failed to decrypt input.');
      }
    }
    this.env.events.input(bytes);
    if (this.child?.stdin?.writable) this.child.stdin.write(bytes);
  }

  private onHandshakeResponse(payload: Buffer): void {
    const response = JSON.parse(payload.toString('utf8')) as {
      ProcessedClientActions: Array<{ ActionType: string; ActionStatus: number; ActionResult: Record<string, unknown> | null; Error: string }>;
    };
    for (const action of response.ProcessedClientActions) {
      if (action.ActionStatus !== 1) return this.closeChannel(`${action.ActionType} failed on client with status ${action.ActionStatus} error: ${action.Error}`);
    }
    const kms = response.ProcessedClientActions.find((a) => a.ActionType === 'KMSEncryption');
    const blob = kms?.ActionResult?.['KMSCipherTextKey'];
    if (typeof blob !== 'string' || !this.env.kmsDecrypt) return this.closeChannel('KMSEncryption missing from handshake response');
    try {
      const context = { 'aws:ssm:SessionId': this.spec.sessionId, 'aws:ssm:TargetId': this.spec.targetId ?? '' };
      this.cipher = new AgentCipher(this.env.kmsDecrypt(Buffer.from(blob, 'base64'), context));
    } catch (error) {
      return this.closeChannel(`----------ERROR-------\nEncountered error while initiating handshake. Fetching data key failed: Unable to retrieve data key, ${(error as Error).message}`);
    }
    this.challenge = randomBytes(64);
    this.sendStream(PayloadType.EncChallengeRequest, Buffer.from(JSON.stringify({ Challenge: this.cipher.seal(this.challenge).toString('base64') })));
  }

  private onChallengeResponse(payload: Buffer): void {
    try {
      const { Challenge } = JSON.parse(payload.toString('utf8')) as { Challenge: string };
      if (!this.cipher || !this.challenge || !this.cipher.open(Buffer.from(Challenge, 'base64')).equals(this.challenge)) throw new Error('mismatch');
    } catch {
      return this.closeChannel('Encryption challenge does not match!');
    }
    this.handshake = 'done';
    this.sendStream(PayloadType.HandshakeComplete, Buffer.from(JSON.stringify({ HandshakeTimeToComplete: 1_000_000, CustomerMessage: 'This session is encrypted using AWS KMS.' })));
    this.startPty();
  }

  private startPty(): void {
    const child = spawnOnPty(this.spec.command, this.env.containerEnv);
    this.child = child;
    this.ptyReadyAt = Date.now() + this.env.ptyDelayMs;
    this.env.events.started(child);
    child.stdout?.on('data', (chunk: Buffer) => this.held.push(chunk));
    child.on('close', () => {
      this.exited = true;
      this.exitedAt = Date.now();
    });
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.checkTimeouts()) return;
    this.pausePublication(now);
    if (now >= this.ptyReadyAt && now >= this.pausedUntil) this.flushOutput();
    const resend = this.outbox.dueResend(now);
    if (resend) this.sendWithFaults(resend);
    for (const frame of this.env.outgoing.release()) this.sendIntact(frame);
    const drained = this.held.length === 0 && this.outbox.pending === 0;
    if (this.exited && (drained || now - this.exitedAt > 2000) && now >= this.ptyReadyAt) this.closeChannel('');
  }

  private checkTimeouts(): boolean {
    const now = this.env.clock.now();
    if (this.handshake === 'pending' && now - this.handshakeStartedAt > this.env.handshakeTimeoutMs) {
      this.env.events.handshakeTimeout();
      this.closeChannel(HANDSHAKE_TIMEOUT_TEXT);
      return true;
    }
    if (this.child && !this.exited && now - this.lastInputAt >= this.env.idleTimeoutMs) {
      this.env.events.idleTimeout();
      this.closeChannel(IDLE_TEXT);
      return true;
    }
    return false;
  }

  private pausePublication(now: number): void {
    if (!this.env.pause || now < this.nextPauseAt) return;
    this.nextPauseAt = now + this.env.pause.everyMs;
    this.pausedUntil = now + this.env.pause.forMs;
    this.outbox.paused = true;
    this.env.events.pause();
    this.sendRaw(controlFrame(MessageType.PausePublication, Buffer.alloc(0), now));
    setTimeout(() => {
      this.outbox.paused = false;
      this.sendRaw(controlFrame(MessageType.StartPublication, Buffer.alloc(0), Date.now()));
    }, this.env.pause.forMs);
  }

  private flushOutput(): void {
    const bytes = Buffer.concat(this.held.splice(0));
    const chunks = this.chunker.push(bytes);
    if (this.exited) chunks.push(...this.chunker.flush());
    for (const chunk of chunks) {
      this.env.events.output(chunk.length);
      this.sendStream(PayloadType.Output, this.cipher ? this.cipher.seal(chunk) : chunk);
    }
  }

  private closeChannel(output: string): void {
    if (this.closed) return;
    const body = { MessageId: randomUUID(), CreatedDate: new Date().toISOString(), DestinationId: 'client', SessionId: this.spec.sessionId, MessageType: 'channel_closed', SchemaVersion: 1, Output: output };
    this.sendRaw(controlFrame(MessageType.ChannelClosed, Buffer.from(JSON.stringify(body)), Date.now()));
    this.stop();
  }

  private sendStream(payloadType: number, payload: Buffer): void {
    this.sendWithFaults(this.outbox.frame(payloadType, payload, Date.now()));
  }

  private sendWithFaults(frame: Buffer): void {
    for (const out of this.env.outgoing.apply(frame)) {
      if (out === frame) this.sendIntact(frame);
      else this.sendRaw(out);
    }
  }

  private sendIntact(frame: Buffer): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.outbox.sentIntact(frame);
    this.socket.send(frame);
  }

  private sendRaw(frame: Buffer): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame);
  }
}
