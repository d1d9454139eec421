import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  MessageType,
  PayloadType,
  uuidFromWire,
  uuidToWire,
  validationProblem,
  type SessionMessage,
} from '../../src/adapters/aws/session/message.js';
import { buildAckMessage, parseAckPayload } from '../../src/adapters/aws/session/ack.js';

// Byte vectors from Appendix A of /work/shared/design/ssm-session-protocol.md (real Go serializer output).
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const A1 = hex(`00000074 696e7075745f73747265616d 5f646174612020202020202020202020
  20202020 00000001 0000015e0baa7884 0000000000000001 0000000000000002 a508b5f073f31b16 dd01e56bff48483e
  239f59ed55e737c77147cf55ad0c1b03 0b6d7ee748a7426952f9b852d5a935e5 00000001 00000007 7061796c6f6164`);
const A2 = hex(`00000074696e7075745f73747265616d 5f646174612020202020202020202020 20202020000000010000018bcfe56800
  00000000000000000000000000000000 a508b5f073f31b16dd01e56bff48483e d53ca1ea7dce87c11432052a8550ed26
  15cf715ca843c89710ed83325b691cba 00000003000000157b22636f6c73223a 38302c22726f7773223a32347d`);
const A3_HEADER = hex(`0000007461636b6e6f776c6564676520 20202020202020202020202020202020 20202020000000010000018bcfe56800
  00000000000000000000000000000003 8899aabbccddeeff0011223344554677 e27c5d76907e7769eeb0bb854be46b26
  5df4087b53def781552e1c580d3d8f74 00000000000000b0`);
const A3_PAYLOAD =
  '{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"dd01e56b-ff48-483e-a508-b5f073f31b16","AcknowledgedMessageSequenceNumber":5,"IsSequentialMessage":true}';
const A4 = hex(`000000746f75747075745f7374726561 6d5f6461746120202020202020202020 20202020000000010000018bcfe56800
  00000000000000000000000000000001 8899aabbccddeeff0011223344554677 44723dd4d0e0d46a3c7fa8aca254b61c
  27b6b5789f96177e82c80700409f1535 000000010000000468690d0a`);
const A5 = hex(`000000746f75747075745f7374726561 6d5f6461746120202020202020202020 20202020000000010000018bcfe56800
  00000000000000050000000000000000 8899aabbccddeeff0011223344554677 75b98d703ed4df6516928d0bc88a131b
  d33a2887c556c2b9299dd3d4329254f6 0000000c0000000c455849545f434f44 453a2033`);

const ID1 = 'dd01e56b-ff48-483e-a508-b5f073f31b16';
const ID2 = '00112233-4455-4677-8899-aabbccddeeff';
const T = 1700000000000n;

function message(over: Partial<SessionMessage>): SessionMessage {
  return {
    messageType: MessageType.InputStreamData,
    schemaVersion: 1,
    createdDate: T,
    sequenceNumber: 0n,
    flags: 0n,
    messageId: ID1,
    payloadType: PayloadType.Output,
    payload: Buffer.alloc(0),
    ...over,
  };
}

describe('session message framing (Appendix A)', () => {
  it('A1: input_stream_data seq 1 flags 2 "payload"', () => {
    const frame = encodeMessage(
      message({ createdDate: 1503434274948n, sequenceNumber: 1n, flags: 2n, payload: Buffer.from('payload') }),
    );
    expect(frame.length).toBe(127);
    expect(frame.toString('hex')).toBe(A1.toString('hex'));
  });

  it('A2: Size message', () => {
    const frame = encodeMessage(message({ payloadType: PayloadType.Size, payload: Buffer.from('{"cols":80,"rows":24}') }));
    expect(frame.length).toBe(141);
    expect(frame.toString('hex')).toBe(A2.toString('hex'));
  });

  it('A3: acknowledge built from the acked message', () => {
    const ack = buildAckMessage(
      { messageType: MessageType.OutputStreamData, messageId: ID1, sequenceNumber: 5n },
      ID2,
      Number(T),
    );
    const frame = encodeMessage(ack);
    expect(frame.length).toBe(296);
    expect(frame.toString('hex')).toBe(Buffer.concat([A3_HEADER, Buffer.from(A3_PAYLOAD)]).toString('hex'));
    expect(parseAckPayload(decodeMessage(frame).payload).AcknowledgedMessageSequenceNumber).toBe(5);
  });

  it('A4 and A5: output_stream_data with SYN and an ExitCode payload', () => {
    const a4 = encodeMessage(
      message({ messageType: MessageType.OutputStreamData, flags: 1n, messageId: ID2, payload: Buffer.from('hi\r\n') }),
    );
    expect(a4.toString('hex')).toBe(A4.toString('hex'));
    const a5 = encodeMessage(
      message({
        messageType: MessageType.OutputStreamData,
        sequenceNumber: 5n,
        messageId: ID2,
        payloadType: PayloadType.ExitCode,
        payload: Buffer.from('EXIT_CODE: 3'),
      }),
    );
    expect(a5.length).toBe(132);
    expect(a5.toString('hex')).toBe(A5.toString('hex'));
  });

  it('A6: Flag payload digest is SHA-256 of the 4-byte big-endian value', () => {
    const frame = encodeMessage(
      message({ sequenceNumber: 7n, payloadType: PayloadType.Flag, payload: hex('00000002') }),
    );
    expect(frame.subarray(0x70).toString('hex')).toBe('0000000a0000000400000002');
    expect(frame.subarray(80, 84).toString('hex')).toBe('433ebf5b');
    expect(frame.subarray(108, 112).toString('hex')).toBe('db12cf1a');
  });

  it('decodes every vector back to its fields and validates it', () => {
    const decoded = decodeMessage(A5);
    expect(decoded).toMatchObject({
      headerLength: 116,
      messageType: 'output_stream_data',
      schemaVersion: 1,
      createdDate: T,
      sequenceNumber: 5n,
      flags: 0n,
      messageId: ID2,
      payloadType: 12,
      payloadLength: 12,
    });
    expect(decoded.payload.toString()).toBe('EXIT_CODE: 3');
    for (const v of [A1, A2, A4, A5]) expect(validationProblem(decodeMessage(v))).toBeUndefined();
    expect(decodeMessage(A1).messageId).toBe(ID1);
  });

  it('A7: a NUL-left-padded type decodes like the Go reader', () => {
    const frame = Buffer.from(A4);
    frame.fill(0, 4, 36);
    Buffer.from('output_stream_data').copy(frame, 4 + 14);
    expect(decodeMessage(frame).messageType).toBe('output_stream_data');
  });

  it('MessageId swap: least-significant half first, round trip', () => {
    expect(uuidToWire(ID1).toString('hex')).toBe('a508b5f073f31b16dd01e56bff48483e');
    expect(uuidFromWire(uuidToWire(ID2))).toBe(ID2);
    expect(() => uuidToWire('not-a-uuid')).toThrow(/not a UUID/);
  });

  it('empty payloads serialize with the digest of empty input', () => {
    const frame = encodeMessage(message({ messageType: MessageType.StartPublication, payload: Buffer.alloc(0) }));
    expect(frame.length).toBe(120);
    expect(frame.subarray(80, 112).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('rejects bad digests, zero CreatedDate and empty type; publication messages skip validation', () => {
    const badDigest = Buffer.from(A4);
    badDigest[80] ^= 0xff;
    expect(validationProblem(decodeMessage(badDigest))).toBe('payload digest mismatch');
    const zeroDate = Buffer.from(A4);
    zeroDate.fill(0, 40, 48);
    expect(validationProblem(decodeMessage(zeroDate))).toBe('CreatedDate is 0');
    const noType = Buffer.from(A4);
    noType.fill(0x20, 4, 36);
    expect(validationProblem(decodeMessage(noType))).toBe('MessageType is empty');
    const pause = encodeMessage(message({ messageType: MessageType.PausePublication, payload: Buffer.from('x') }));
    pause[80] ^= 0xff;
    expect(validationProblem(decodeMessage(pause))).toBeUndefined();
  });

  it('payload is everything after PayloadLength; truncated or bogus headers throw', () => {
    expect(() => decodeMessage(A4.subarray(0, 100))).toThrow(/too short/);
    const badHl = Buffer.from(A4);
    badHl.writeUInt32BE(0, 0);
    expect(() => decodeMessage(badHl)).toThrow(/HeaderLength/);
    const lyingLength = Buffer.from(A4);
    lyingLength.writeUInt32BE(1, 116);
    expect(decodeMessage(lyingLength).payload.toString()).toBe('hi\r\n');
  });

  it('refuses to encode a zero CreatedDate or an oversized type', () => {
    expect(() => encodeMessage(message({ createdDate: 0n }))).toThrow(/CreatedDate/);
    expect(() => encodeMessage(message({ messageType: 'x'.repeat(33) }))).toThrow(/MessageType/);
  });
});
