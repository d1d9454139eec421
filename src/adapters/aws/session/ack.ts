// Acknowledge frames (protocol doc section 3): seq 0, flags 3, PayloadType 0, JSON payload.
import { Flags, MessageType, PayloadType, type SessionMessage } from './message.js';

export interface AckPayload {
  AcknowledgedMessageType: string;
  AcknowledgedMessageId: string;
  AcknowledgedMessageSequenceNumber: number;
  IsSequentialMessage: boolean;
}

export function buildAckMessage(
  acked: Pick<SessionMessage, 'messageType' | 'messageId' | 'sequenceNumber'>,
  ackId: string,
  nowMs: number,
): SessionMessage {
  // Key order matters only for byte-exact vectors; it matches the Go struct order.
  const body: AckPayload = {
    AcknowledgedMessageType: acked.messageType,
    AcknowledgedMessageId: acked.messageId,
    AcknowledgedMessageSequenceNumber: Number(acked.sequenceNumber),
    IsSequentialMessage: true,
  };
  return {
    messageType: MessageType.Acknowledge,
    schemaVersion: 1,
    createdDate: BigInt(nowMs),
    sequenceNumber: 0n,
    flags: Flags.SynFin,
    messageId: ackId,
    payloadType: PayloadType.Undefined,
    payload: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}

/** Sequence number an ack refers to; acks are matched by sequence number only. */
export function parseAckPayload(payload: Buffer): AckPayload {
  const parsed = JSON.parse(payload.toString('utf8')) as Partial<AckPayload>;
  if (typeof parsed.AcknowledgedMessageSequenceNumber !== 'number') {
    throw new Error('acknowledge without AcknowledgedMessageSequenceNumber');
  }
  return {
    AcknowledgedMessageType: String(parsed.AcknowledgedMessageType ?? ''),
    AcknowledgedMessageId: String(parsed.AcknowledgedMessageId ?? ''),
    AcknowledgedMessageSequenceNumber: parsed.AcknowledgedMessageSequenceNumber,
    IsSequentialMessage: parsed.IsSequentialMessage ?? true,
  };
}
