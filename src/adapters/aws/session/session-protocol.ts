// Client state machine of the SSM data channel (protocol doc Appendix B), independent of the socket:
// frames in via receiveFrame(), frames out via the send callback, time via nowMs(). The WebSocket
// wiring lives in session-client.ts.
import { randomUUID } from 'node:crypto';
import { buildAckMessage, parseAckPayload } from './ack.js';
import { InboundSequencer } from './inbound-sequencer.js';
import {
  decodeMessage,
  encodeMessage,
  MessageFormatError,
  MessageType,
  PayloadType,
  validationProblem,
  type DecodedMessage,
} from './message.js';
import { CLIENT_VERSION } from './open-data-channel.js';
import { OutboundWindow } from './outbound-window.js';
import { answerEncryptionChallenge, clientSessionCipher, type SessionCipher } from './session-cipher.js';

export const INPUT_CHUNK_BYTES = 1024;

/** Answers the agent's KMSEncryption action: calls kms:GenerateDataKey (64 bytes) with the right context. */
export type DataKeyProvider = (request: { kmsKeyId: string; challenge?: string }) => Promise<{
  plaintext: Buffer;
  ciphertextBlob: Buffer;
  /** True when the random challenge was put into the encryption context. */
  challengeAcknowledged: boolean;
}>;

export interface SessionEvents {
  /** Output (1), StdErr (11) or ExitCode (12) bytes, already decrypted, in stream order. */
  onData(payloadType: number, bytes: Buffer): void;
  /** Stream is ready for Size/stdin (after HandshakeComplete, or the first Output in legacy mode). */
  onReady?(customerMessage: string): void;
  onChannelClosed(output: string): void;
  /** A fatal protocol problem (KMS failure, bad encrypted payload). */
  onFatal(error: Error): void;
  /** Dropped frames and other oddities worth a debug line. */
  onDiagnostic?(text: string): void;
}

export interface SessionProtocolOptions {
  send(frame: Buffer): void;
  nowMs(): number;
  events: SessionEvents;
  dataKeyProvider?: DataKeyProvider;
  /** Fresh v4 UUIDs by default; injectable for byte-exact tests. */
  newId?: () => string;
}

/** A data-key provider's own, already user-facing failure (missing permission, no KMS client): kept as is. */
export class KmsSetupError extends Error {
  override name = 'KmsSetupError';
}

type HandshakeAction = { ActionType: string; ActionParameters?: Record<string, unknown> | null };

export class SessionProtocol {
  private readonly inbound = new InboundSequencer();
  private readonly outbound = new OutboundWindow();
  private readonly pendingInput: Array<{ payloadType: number; bytes: Buffer }> = [];
  private cipher: SessionCipher | undefined;
  private handshaking = false;
  private ready = false;
  private closed = false;
  private readonly newId: () => string;

  constructor(private readonly options: SessionProtocolOptions) {
    this.newId = options.newId ?? randomUUID;
  }

  get isReady(): boolean {
    return this.ready;
  }

  get unackedCount(): number {
    return this.outbound.unackedCount;
  }

  receiveFrame(raw: Buffer): void {
    let message: DecodedMessage;
    try {
      message = decodeMessage(raw);
    } catch (error) {
      if (error instanceof MessageFormatError) return this.diagnostic(`dropped malformed frame: ${error.message}`);
      throw error;
    }
    const problem = validationProblem(message);
    if (problem) return this.diagnostic(`dropped ${message.messageType} seq ${message.sequenceNumber}: ${problem}`);
    switch (message.messageType) {
      case MessageType.Acknowledge:
        return this.handleAck(message);
      case MessageType.OutputStreamData:
        return this.handleOutput(message);
      case MessageType.ChannelClosed:
        return this.handleChannelClosed(message);
      case MessageType.PausePublication:
        return this.outbound.setPaused(true);
      case MessageType.StartPublication:
        return this.outbound.setPaused(false);
      default:
        return this.diagnostic(`ignored message type ${message.messageType}`);
    }
  }

  /** Queue stdin; sent in ≤1024-byte chunks once the stream is ready, encrypted when KMS is on. */
  sendInput(bytes: Buffer): void {
    for (let offset = 0; offset < bytes.length; offset += INPUT_CHUNK_BYTES) {
      this.queueOrSend(PayloadType.Output, bytes.subarray(offset, offset + INPUT_CHUNK_BYTES));
    }
  }

  sendSize(cols: number, rows: number): void {
    this.queueOrSend(PayloadType.Size, Buffer.from(JSON.stringify({ cols, rows })));
  }

  /** Called on a timer (about every 100 ms): resend the oldest unacked frame when its RTO expired. */
  tick(): void {
    const due = this.outbound.takeDueResend(this.options.nowMs());
    if (due) this.options.send(due.frame);
  }

  /** How long the oldest unacked input has waited (for a give-up bound). */
  oldestUnackedAgeMs(): number {
    return this.outbound.oldestAgeMs(this.options.nowMs());
  }

  private queueOrSend(payloadType: number, bytes: Buffer): void {
    if (!this.ready) {
      this.pendingInput.push({ payloadType, bytes: Buffer.from(bytes) });
      return;
    }
    const payload = payloadType === PayloadType.Output && this.cipher ? this.cipher.encrypt(bytes) : bytes;
    this.sendStream(payloadType, payload);
  }

  private sendStream(payloadType: number, payload: Buffer): void {
    const seq = this.outbound.allocateSequence();
    const frame = encodeMessage({
      messageType: MessageType.InputStreamData,
      schemaVersion: 1,
      createdDate: BigInt(this.options.nowMs()),
      sequenceNumber: seq,
      flags: 0n,
      messageId: this.newId(),
      payloadType,
      payload,
    });
    this.outbound.recordSent(seq, frame, this.options.nowMs());
    this.options.send(frame);
  }

  private sendAck(message: DecodedMessage): void {
    this.options.send(encodeMessage(buildAckMessage(message, this.newId(), this.options.nowMs())));
  }

  private handleAck(message: DecodedMessage): void {
    try {
      this.outbound.acknowledge(parseAckPayload(message.payload).AcknowledgedMessageSequenceNumber, this.options.nowMs());
    } catch (error) {
      this.diagnostic(`unreadable acknowledge: ${(error as Error).message}`);
    }
  }

  private handleOutput(message: DecodedMessage): void {
    const decision = this.inbound.accept(message);
    for (const acked of decision.ack) this.sendAck(acked);
    for (const delivered of decision.deliver) this.process(delivered);
  }

  private process(message: DecodedMessage): void {
    if (this.closed) return;
    switch (message.payloadType) {
      case PayloadType.HandshakeRequest:
        this.handshaking = true;
        void this.answerHandshake(message.payload);
        return;
      case PayloadType.EncChallengeRequest:
        return this.answerChallenge(message.payload);
      case PayloadType.HandshakeComplete:
        this.handshaking = false;
        return this.becomeReady(readCustomerMessage(message.payload));
      case PayloadType.Output:
      case PayloadType.StdErr:
      case PayloadType.ExitCode:
        return this.deliverData(message);
      default:
        return this.diagnostic(`ignored output payload type ${message.payloadType}`);
    }
  }

  private deliverData(message: DecodedMessage): void {
    if (!this.handshaking && !this.ready) this.becomeReady('');
    let bytes = message.payload;
    if (this.cipher) {
      try {
        bytes = this.cipher.decrypt(bytes);
      } catch {
        return this.fatal(new Error(`could not decrypt output seq ${message.sequenceNumber} with the KMS data key`));
      }
    }
    this.options.events.onData(message.payloadType, bytes);
  }

  private becomeReady(customerMessage: string): void {
    if (this.ready) return;
    this.ready = true;
    this.options.events.onReady?.(customerMessage);
    for (const item of this.pendingInput.splice(0)) this.queueOrSend(item.payloadType, item.bytes);
  }

  private async answerHandshake(payload: Buffer): Promise<void> {
    try {
      const request = JSON.parse(payload.toString('utf8')) as { RequestedClientActions?: HandshakeAction[] };
      const processed = [];
      for (const action of request.RequestedClientActions ?? []) processed.push(await this.processAction(action));
      const response = { ClientVersion: CLIENT_VERSION, ProcessedClientActions: processed, Errors: null };
      this.sendStream(PayloadType.HandshakeResponse, Buffer.from(JSON.stringify(response)));
    } catch (error) {
      this.fatal(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async processAction(action: HandshakeAction): Promise<Record<string, unknown>> {
    const done = (status: number, result: unknown, error = '') => ({
      ActionType: action.ActionType,
      ActionStatus: status,
      ActionResult: result,
      Error: error,
    });
    if (action.ActionType === 'SessionType') return done(1, null);
    if (action.ActionType !== 'KMSEncryption') return done(3, null, `unsupported action ${action.ActionType}`);
    const params = action.ActionParameters ?? {};
    const kmsKeyId = String(params['KMSKeyId'] ?? '');
    if (!this.options.dataKeyProvider) {
      throw new Error(`the session requires KMS encryption (key ${kmsKeyId}) but no KMS client was configured`);
    }
    const challenge = typeof params['Challenge'] === 'string' ? params['Challenge'] : undefined;
    let key;
    try {
      key = await this.options.dataKeyProvider({ kmsKeyId, ...(challenge !== undefined ? { challenge } : {}) });
    } catch (error) {
      // Fail the session on our side before any command input is sent.
      if (error instanceof KmsSetupError) throw error;
      throw new Error(`KMS GenerateDataKey for key ${kmsKeyId} failed: ${(error as Error).message}`, { cause: error });
    }
    this.cipher = clientSessionCipher(key.plaintext);
    const result: Record<string, unknown> = {
      KMSCipherTextKey: key.ciphertextBlob.toString('base64'),
      KMSCipherTextHash: null,
    };
    if (key.challengeAcknowledged) result['ChallengeAcknowledgement'] = true;
    return done(1, result);
  }

  private answerChallenge(payload: Buffer): void {
    if (!this.cipher) return this.fatal(new Error('agent sent an encryption challenge before KMS was set up'));
    try {
      const { Challenge } = JSON.parse(payload.toString('utf8')) as { Challenge: string };
      const answer = answerEncryptionChallenge(this.cipher, Challenge);
      this.sendStream(PayloadType.EncChallengeResponse, Buffer.from(JSON.stringify({ Challenge: answer })));
    } catch (error) {
      this.fatal(new Error(`encryption challenge failed: ${(error as Error).message}`));
    }
  }

  private handleChannelClosed(message: DecodedMessage): void {
    if (this.closed) return;
    this.closed = true;
    let output: string;
    try {
      output = String((JSON.parse(message.payload.toString('utf8')) as { Output?: unknown }).Output ?? '');
    } catch {
      output = message.payload.toString('utf8');
    }
    this.options.events.onChannelClosed(output);
  }

  private fatal(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.options.events.onFatal(error);
  }

  private diagnostic(text: string): void {
    this.options.events.onDiagnostic?.(text);
  }
}

function readCustomerMessage(payload: Buffer): string {
  try {
    return String((JSON.parse(payload.toString('utf8')) as { CustomerMessage?: unknown }).CustomerMessage ?? '');
  } catch {
    return '';
  }
}

