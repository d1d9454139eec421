// Binary framing of the SSM Session Manager data channel (ECS Exec and ssm:StartSession).
// Layout and rules: /work/shared/design/ssm-session-protocol.md section 2.
import { createHash } from 'node:crypto';

export const HEADER_LENGTH = 116;
export const PAYLOAD_OFFSET = 120;
const TYPE_FIELD_BYTES = 32;

export const MessageType = {
  InputStreamData: 'input_stream_data',
  OutputStreamData: 'output_stream_data',
  Acknowledge: 'acknowledge',
  ChannelClosed: 'channel_closed',
  StartPublication: 'start_publication',
  PausePublication: 'pause_publication',
  AgentSessionState: 'agent_session_state',
} as const;

export const PayloadType = {
  Undefined: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;

export const Flags = { Syn: 1n, Fin: 2n, SynFin: 3n } as const;

export interface SessionMessage {
  messageType: string;
  schemaVersion: number;
  /** Unix epoch milliseconds; must be non-zero. */
  createdDate: bigint;
  sequenceNumber: bigint;
  flags: bigint;
  /** Canonical lower-case hyphenated UUID. */
  messageId: string;
  payloadType: number;
  payload: Buffer;
}

export interface DecodedMessage extends SessionMessage {
  headerLength: number;
  payloadLength: number;
  payloadDigest: Buffer;
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** UUID string → 16 wire bytes with the least-significant half first (section 2.2). */
export function uuidToWire(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  const canonical = Buffer.from(hex, 'hex');
  return Buffer.concat([canonical.subarray(8, 16), canonical.subarray(0, 8)]);
}

/** 16 wire bytes → canonical UUID string (undoes the half swap). */
export function uuidFromWire(wire: Uint8Array): string {
  if (wire.length !== 16) throw new Error(`MessageId must be 16 bytes, got ${wire.length}`);
  const canonical = Buffer.concat([Buffer.from(wire.subarray(8, 16)), Buffer.from(wire.subarray(0, 8))]).toString('hex');
  return `${canonical.slice(0, 8)}-${canonical.slice(8, 12)}-${canonical.slice(12, 16)}-${canonical.slice(16, 20)}-${canonical.slice(20)}`;
}

/** Serialize one message; always computes the real digest, empty payloads allowed. */
export function encodeMessage(message: SessionMessage): Buffer {
  const typeBytes = Buffer.from(message.messageType, 'utf8');
  if (typeBytes.length === 0 || typeBytes.length > TYPE_FIELD_BYTES) {
    throw new Error(`MessageType must be 1..32 bytes: "${message.messageType}"`);
  }
  if (message.createdDate <= 0n) throw new Error('CreatedDate must be non-zero');
  const out = Buffer.alloc(PAYLOAD_OFFSET + message.payload.length);
  out.writeUInt32BE(HEADER_LENGTH, 0);
  out.fill(0x20, 4, 4 + TYPE_FIELD_BYTES);
  typeBytes.copy(out, 4);
  out.writeUInt32BE(message.schemaVersion, 36);
  out.writeBigUInt64BE(message.createdDate, 40);
  out.writeBigInt64BE(message.sequenceNumber, 48);
  out.writeBigUInt64BE(message.flags, 56);
  uuidToWire(message.messageId).copy(out, 64);
  sha256(message.payload).copy(out, 80);
  out.writeUInt32BE(message.payloadType, 112);
  out.writeUInt32BE(message.payload.length, 116);
  message.payload.copy(out, PAYLOAD_OFFSET);
  return out;
}

export class MessageFormatError extends Error {}

/** Parse by fixed offsets; the payload is everything after PayloadLength, as the Go readers do. */
export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PAYLOAD_OFFSET) throw new MessageFormatError(`message too short: ${buf.length} bytes`);
  const headerLength = buf.readUInt32BE(0);
  const payloadStart = headerLength + 4;
  if (headerLength === 0 || payloadStart > buf.length || payloadStart < PAYLOAD_OFFSET) {
    throw new MessageFormatError(`bad HeaderLength ${headerLength}`);
  }
  return {
    headerLength,
    messageType: trimMessageType(buf.subarray(4, 4 + TYPE_FIELD_BYTES)),
    schemaVersion: buf.readUInt32BE(36),
    createdDate: buf.readBigUInt64BE(40),
    sequenceNumber: buf.readBigInt64BE(48),
    flags: buf.readBigUInt64BE(56),
    messageId: uuidFromWire(buf.subarray(64, 80)),
    payloadDigest: Buffer.from(buf.subarray(80, 112)),
    payloadType: buf.readUInt32BE(112),
    payloadLength: buf.readUInt32BE(116),
    payload: Buffer.from(buf.subarray(payloadStart)),
  };
}

/** Strip NUL padding first, then whitespace (accepts both space- and NUL-padded writers). */
function trimMessageType(field: Uint8Array): string {
  return Buffer.from(field).toString('latin1').replace(/^\0+|\0+$/g, '').trim();
}

/** Why a received message must be dropped without ack, or undefined when it is acceptable (section 2). */
export function validationProblem(message: DecodedMessage): string | undefined {
  if (message.messageType === MessageType.StartPublication || message.messageType === MessageType.PausePublication) {
    return undefined;
  }
  if (message.headerLength === 0) return 'HeaderLength is 0';
  if (message.messageType === '') return 'MessageType is empty';
  if (message.createdDate === 0n) return 'CreatedDate is 0';
  if (message.payloadLength !== 0 && !sha256(message.payload).equals(message.payloadDigest)) {
    return 'payload digest mismatch';
  }
  return undefined;
}
