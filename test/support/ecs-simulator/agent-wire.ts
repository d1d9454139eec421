// The agent's own side of the sequenced stream, written independently of the client's session/ code so a bug
// shared by both sides cannot hide: numbering and retransmission of output (the agent stores the new send time
// after a resend and pauses on pause_publication), acks for input with duplicate re-acks and a reorder buffer,
// "not ready" (no ack) while there is no pty. Only the framing (message.ts, checked against the protocol doc's
// appendix A vectors) is shared.
import { randomUUID } from 'node:crypto';
import { encodeMessage, MessageType, type DecodedMessage } from '../../../src/adapters/aws/session/message.js';

const RESEND_CAP_MS = 1000;

export interface Unacked {
  frame: Buffer;
  firstSentMs: number;
  lastSentMs: number;
  resent: boolean;
  /** False while only corrupted copies (or none) went out: an ack then means the client took a bad frame. */
  intactSent: boolean;
}

export type AckVerdict = 'acked' | 'unknown' | 'never-sent-intact';

export class AgentOutbox {
  private next = 0n;
  private readonly unacked = new Map<bigint, Unacked>();
  private srtt = 100;
  private rttvar = 0;
  private rto = 200;
  paused = false;

  frame(payloadType: number, payload: Buffer, nowMs: number): Buffer {
    const seq = this.next++;
    const frame = encodeMessage({
      messageType: MessageType.OutputStreamData,
      schemaVersion: 1,
      createdDate: BigInt(nowMs),
      sequenceNumber: seq,
      flags: seq === 0n ? 1n : 0n,
      messageId: randomUUID(),
      payloadType,
      payload,
    });
    this.unacked.set(seq, { frame, firstSentMs: nowMs, lastSentMs: nowMs, resent: false, intactSent: false });
    return frame;
  }

  /** The frame itself (not a corrupted copy) is going on the wire. */
  sentIntact(frame: Buffer): void {
    const entry = this.unacked.get(frame.readBigInt64BE(48));
    if (entry?.frame === frame) entry.intactSent = true;
  }

  acknowledge(seq: number, nowMs: number): AckVerdict {
    const entry = this.unacked.get(BigInt(seq));
    if (!entry) return 'unknown';
    this.unacked.delete(BigInt(seq));
    if (!entry.resent) this.sample(nowMs - entry.firstSentMs);
    return entry.intactSent ? 'acked' : 'never-sent-intact';
  }

  /** The oldest unacked frame once its timeout passed; its send time is updated (unlike the plugin). */
  dueResend(nowMs: number): Buffer | undefined {
    if (this.paused) return undefined;
    const oldest = this.unacked.values().next().value as Unacked | undefined;
    if (!oldest || nowMs - oldest.lastSentMs < this.rto) return undefined;
    oldest.lastSentMs = nowMs;
    oldest.resent = true;
    return oldest.frame;
  }

  get pending(): number {
    return this.unacked.size;
  }

  private sample(ms: number): void {
    this.rttvar = (3 * this.rttvar + Math.abs(this.srtt - ms)) / 4;
    this.srtt = (7 * this.srtt + ms) / 8;
    this.rto = Math.min(RESEND_CAP_MS, this.srtt + Math.max(10, 4 * this.rttvar));
  }
}

export interface InboxVerdict {
  ack: boolean;
  deliver: DecodedMessage[];
}

export class AgentInbox {
  private expected = 0n;
  private readonly parked = new Map<bigint, DecodedMessage>();

  accept(message: DecodedMessage, ready: boolean): InboxVerdict {
    const seq = message.sequenceNumber;
    if (seq < this.expected) return { ack: true, deliver: [] }; // already processed: re-ack
    if (seq > this.expected) {
      if (this.parked.size >= 100_000) return { ack: false, deliver: [] };
      this.parked.set(seq, message);
      return { ack: true, deliver: [] };
    }
    if (!ready) return { ack: false, deliver: [] };
    const deliver = [message];
    for (this.expected += 1n; this.parked.has(this.expected); this.expected += 1n) {
      deliver.push(this.parked.get(this.expected)!);
      this.parked.delete(this.expected);
    }
    return { ack: true, deliver };
  }
}

export function agentAck(message: DecodedMessage, nowMs: number): Buffer {
  const body = `{"AcknowledgedMessageType":"${message.messageType}","AcknowledgedMessageId":"${message.messageId}","AcknowledgedMessageSequenceNumber":${message.sequenceNumber},"IsSequentialMessage":true}`;
  return encodeMessage({
    messageType: MessageType.Acknowledge,
    schemaVersion: 1,
    createdDate: BigInt(nowMs),
    sequenceNumber: 0n,
    flags: 3n,
    messageId: randomUUID(),
    payloadType: 0,
    payload: Buffer.from(body),
  });
}

/** MGS-originated control message (channel_closed, pause/start_publication): not sequenced, never acked. */
export function controlFrame(messageType: string, payload: Buffer, nowMs: number): Buffer {
  return encodeMessage({ messageType, schemaVersion: 1, createdDate: BigInt(nowMs), sequenceNumber: 0n, flags: 3n, messageId: randomUUID(), payloadType: 0, payload });
}

export function ackedSequence(message: DecodedMessage): number | undefined {
  try {
    const n = (JSON.parse(message.payload.toString('utf8')) as { AcknowledgedMessageSequenceNumber?: unknown }).AcknowledgedMessageSequenceNumber;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}
