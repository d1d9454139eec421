// Agent + gateway stand-in for the SSM data channel on loopback: accepts OpenDataChannel, optionally
// runs the handshake (with KMS and the challenge), runs the command in a real pty via util-linux
// `script`, streams output as ≤1024-byte output_stream_data with acks/retransmission, then sends
// channel_closed. Fault modes drop, duplicate and reorder outgoing frames with a seeded RNG.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildAckMessage, parseAckPayload } from '../../../src/adapters/aws/session/ack.js';
import { InboundSequencer } from '../../../src/adapters/aws/session/inbound-sequencer.js';
import {
  decodeMessage,
  encodeMessage,
  MessageType,
  PayloadType,
  validationProblem,
  type DecodedMessage,
} from '../../../src/adapters/aws/session/message.js';
import { OutboundWindow } from '../../../src/adapters/aws/session/outbound-window.js';
import { agentSessionCipher, type SessionCipher } from '../../../src/adapters/aws/session/session-cipher.js';

export interface SimulatedSession {
  sessionId: string;
  tokenValue: string;
  command: string;
  /** KMS key id to demand in the handshake; omit for a plain session. */
  kmsKeyId?: string;
  /** The agent's own target id, part of the KMS encryption context. */
  targetId?: string;
}

export interface FaultOptions {
  dropRate?: number;
  duplicateRate?: number;
  reorderRate?: number;
  seed?: number;
}

export interface AgentServerOptions {
  faults?: FaultOptions;
  /** Decrypts a data key as kms:Decrypt would (the KMS stand-in); throws on a context mismatch. */
  kmsDecrypt?: (ciphertext: Buffer, context: Record<string, string>) => Buffer;
  /** Environment of the simulated container (e.g. a database URL). */
  containerEnv?: Record<string, string>;
}

export interface AgentServer {
  url(sessionId: string): string;
  addSession(session: SimulatedSession): void;
  /** How many times each session's command was started (to prove exactly-once). */
  starts(sessionId: string): number;
  /** Commands started over all sessions. */
  totalStarts(): number;
  /** Frames from the client that failed validation (a strict simulator counts them). */
  readonly rejectedFrames: string[];
  /** Faults actually injected, so fault tests can prove they exercised something. */
  readonly faultCounts: { dropped: number; duplicated: number; reordered: number };
  close(): Promise<void>;
}

export async function startAgentServer(options: AgentServerOptions = {}): Promise<AgentServer> {
  const sessions = new Map<string, SimulatedSession>();
  const startCounts = new Map<string, number>();
  const rejectedFrames: string[] = [];
  const faultCounts = { dropped: 0, duplicated: 0, reordered: 0 };
  const live = new Set<ChildProcess>();
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const random = seededRandom(options.faults?.seed ?? 1);

  server.on('connection', (socket, request) => {
    const sessionId = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname.split('/').pop() ?? '');
    const session = sessions.get(sessionId);
    if (!session) return socket.close(4004, 'unknown session');
    let opened = false;
    let run: AgentRun | undefined;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!opened) {
        opened = true;
        const open = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (isBinary || open['TokenValue'] !== session.tokenValue || open['MessageSchemaVersion'] !== '1.0') {
          return socket.close(4001, 'bad OpenDataChannel');
        }
        run = new AgentRun(session, socket, options, random, rejectedFrames, faultCounts, (child) => {
          live.add(child);
          startCounts.set(session.sessionId, (startCounts.get(session.sessionId) ?? 0) + 1);
          child.on('exit', () => live.delete(child));
        });
        return run.begin();
      }
      run?.receive(data);
    });
    socket.on('close', () => run?.stop());
  });

  return {
    url: (sessionId) => `ws://127.0.0.1:${port}/v1/data-channel/${encodeURIComponent(sessionId)}?role=publish_subscribe&cell-number=AbC+/=`,
    addSession: (session) => sessions.set(session.sessionId, session),
    starts: (sessionId) => startCounts.get(sessionId) ?? 0,
    totalStarts: () => [...startCounts.values()].reduce((a, b) => a + b, 0),
    rejectedFrames,
    faultCounts,
    close: async () => {
      for (const child of live) child.kill('SIGKILL');
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class AgentRun {
  private readonly inbound = new InboundSequencer();
  private readonly outbound = new OutboundWindow();
  private cipher: SessionCipher | undefined;
  private handshakeDone = false;
  private challenge: Buffer | undefined;
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private held: Buffer[] = [];
  private finished = false;

  constructor(
    private readonly session: SimulatedSession,
    private readonly socket: WebSocket,
    private readonly options: AgentServerOptions,
    private readonly random: () => number,
    private readonly rejected: string[],
    private readonly faultCounts: { dropped: number; duplicated: number; reordered: number },
    private readonly onStart: (child: ChildProcess) => void,
  ) {}

  begin(): void {
    this.timer = setInterval(() => this.resend(), 50);
    const actions: unknown[] = [
      { ActionType: 'SessionType', ActionParameters: { SessionType: 'InteractiveCommands', Properties: null } },
    ];
    if (this.session.kmsKeyId) {
      actions.push({ ActionType: 'KMSEncryption', ActionParameters: { KMSKeyId: this.session.kmsKeyId } });
    }
    this.sendStream(PayloadType.HandshakeRequest, Buffer.from(JSON.stringify({ AgentVersion: '3.3.0.0', RequestedClientActions: actions })));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.child?.kill('SIGKILL');
  }

  receive(raw: Buffer): void {
    let message: DecodedMessage;
    try {
      message = decodeMessage(raw);
    } catch (error) {
      this.rejected.push((error as Error).message);
      return;
    }
    const problem = validationProblem(message);
    if (problem) {
      this.rejected.push(problem);
      return;
    }
    if (message.messageType === MessageType.Acknowledge) {
      this.outbound.acknowledge(parseAckPayload(message.payload).AcknowledgedMessageSequenceNumber, Date.now());
      this.maybeClose();
      return;
    }
    if (message.messageType !== MessageType.InputStreamData) return;
    const decision = this.inbound.accept(message);
    for (const acked of decision.ack) this.sendRaw(encodeMessage(buildAckMessage(acked, randomUUID(), Date.now())));
    for (const delivered of decision.deliver) this.process(delivered);
  }

  private process(message: DecodedMessage): void {
    if (message.payloadType === PayloadType.HandshakeResponse) return this.onHandshakeResponse(message.payload);
    if (message.payloadType === PayloadType.EncChallengeResponse) return this.onChallengeResponse(message.payload);
    if (!this.handshakeDone) return; // early input is acked but discarded, like the agent
    if (message.payloadType === PayloadType.Output && this.child?.stdin?.writable) {
      this.child.stdin.write(this.cipher ? this.cipher.decrypt(message.payload) : message.payload);
    }
  }

  private onHandshakeResponse(payload: Buffer): void {
    const response = JSON.parse(payload.toString('utf8')) as {
      ProcessedClientActions: Array<{ ActionType: string; ActionStatus: number; ActionResult: Record<string, unknown> | null; Error: string }>;
    };
    for (const action of response.ProcessedClientActions) {
      if (action.ActionStatus !== 1) {
        return this.closeChannel(`${action.ActionType} failed on client with status ${action.ActionStatus} error: ${action.Error}`);
      }
    }
    if (!this.session.kmsKeyId) return this.completeHandshake();
    const kms = response.ProcessedClientActions.find((a) => a.ActionType === 'KMSEncryption');
    const blob = kms?.ActionResult?.['KMSCipherTextKey'];
    if (typeof blob !== 'string' || !this.options.kmsDecrypt) return this.closeChannel('KMSEncryption missing from handshake response');
    try {
      const dataKey = this.options.kmsDecrypt(Buffer.from(blob, 'base64'), {
        'aws:ssm:SessionId': this.session.sessionId,
        'aws:ssm:TargetId': this.session.targetId ?? '',
      });
      this.cipher = agentSessionCipher(dataKey);
    } catch (error) {
      return this.closeChannel(
        `----------ERROR-------\nEncountered error while initiating handshake. Fetching data key failed: Unable to retrieve data key, ${(error as Error).message}`,
      );
    }
    this.challenge = randomBytes(64);
    const sealed = this.cipher.encrypt(this.challenge).toString('base64');
    this.sendStream(PayloadType.EncChallengeRequest, Buffer.from(JSON.stringify({ Challenge: sealed })));
  }

  private onChallengeResponse(payload: Buffer): void {
    const { Challenge } = JSON.parse(payload.toString('utf8')) as { Challenge: string };
    try {
      if (!this.cipher || !this.challenge || !this.cipher.decrypt(Buffer.from(Challenge, 'base64')).equals(this.challenge)) {
        throw new Error('mismatch');
      }
    } catch {
      return this.closeChannel('Encryption challenge does not match!');
    }
    this.completeHandshake();
  }

  private completeHandshake(): void {
    this.handshakeDone = true;
    const message = this.cipher ? 'This session is encrypted using AWS KMS.' : '';
    this.sendStream(PayloadType.HandshakeComplete, Buffer.from(JSON.stringify({ HandshakeTimeToComplete: 1_000_000, CustomerMessage: message })));
    this.startCommand();
  }

  private startCommand(): void {
    // util-linux script gives the command a real pty; -e passes its exit status through.
    const child = spawn('script', ['-q', '-e', '-f', '-c', this.session.command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...this.options.containerEnv, TERM: 'dumb' },
    });
    this.child = child;
    this.onStart(child);
    child.stdout?.on('data', (chunk: Buffer) => {
      for (let offset = 0; offset < chunk.length; offset += 1024) this.sendOutput(chunk.subarray(offset, offset + 1024));
    });
    child.on('close', () => {
      this.finished = true;
      this.maybeClose();
    });
  }

  private sendOutput(bytes: Buffer): void {
    this.sendStream(PayloadType.Output, this.cipher ? this.cipher.encrypt(bytes) : Buffer.from(bytes));
  }

  private maybeClose(): void {
    if (this.finished && this.outbound.unackedCount === 0) this.closeChannel('');
  }

  private closeChannel(output: string): void {
    const body = JSON.stringify({
      MessageId: randomUUID(),
      CreatedDate: new Date().toISOString(),
      DestinationId: 'client',
      SessionId: this.session.sessionId,
      MessageType: 'channel_closed',
      SchemaVersion: 1,
      Output: output,
    });
    // MGS-originated: not sequenced, not subject to fault injection.
    this.socket.send(
      encodeMessage({
        messageType: MessageType.ChannelClosed,
        schemaVersion: 1,
        createdDate: BigInt(Date.now()),
        sequenceNumber: 0n,
        flags: 3n,
        messageId: randomUUID(),
        payloadType: 0,
        payload: Buffer.from(body),
      }),
    );
    this.stop();
  }

  private sendStream(payloadType: number, payload: Buffer): void {
    const seq = this.outbound.allocateSequence();
    const frame = encodeMessage({
      messageType: MessageType.OutputStreamData,
      schemaVersion: 1,
      createdDate: BigInt(Date.now()),
      sequenceNumber: seq,
      flags: seq === 0n ? 1n : 0n,
      messageId: randomUUID(),
      payloadType,
      payload,
    });
    this.outbound.recordSent(seq, frame, Date.now());
    this.sendWithFaults(frame);
  }

  private resend(): void {
    const due = this.outbound.takeDueResend(Date.now());
    if (due) this.sendWithFaults(due.frame);
    this.flushHeld();
  }

  private sendWithFaults(frame: Buffer): void {
    const faults = this.options.faults ?? {};
    const roll = this.random();
    if (roll < (faults.dropRate ?? 0)) {
      this.faultCounts.dropped += 1;
      return;
    }
    if (roll < (faults.dropRate ?? 0) + (faults.reorderRate ?? 0)) {
      this.faultCounts.reordered += 1;
      this.held.push(frame); // overtaken by later frames, sent on the next tick
      return;
    }
    this.sendRaw(frame);
    if (this.random() < (faults.duplicateRate ?? 0)) {
      this.faultCounts.duplicated += 1;
      this.sendRaw(frame);
    }
  }

  private flushHeld(): void {
    for (const frame of this.held.splice(0)) this.sendRaw(frame);
  }

  private sendRaw(frame: Buffer): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame);
  }
}

/** Small deterministic PRNG (mulberry32) so fault runs are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
