import { describe, expect, it } from 'vitest';
import { SessionProtocol } from '../../src/adapters/aws/session/session-protocol.js';
import { decodeMessage, encodeMessage, MessageType, PayloadType } from '../../src/adapters/aws/session/message.js';

const ID = '00112233-4455-4677-8899-aabbccddeeff';

function agentFrame(seq: number, payloadType: number, payload: string, type: string = MessageType.OutputStreamData): Buffer {
  return encodeMessage({
    messageType: type,
    schemaVersion: 1,
    createdDate: 1700000000000n,
    sequenceNumber: BigInt(seq),
    flags: seq === 0 ? 1n : 0n,
    messageId: ID,
    payloadType,
    payload: Buffer.from(payload),
  });
}

function harness() {
  let now = 1000;
  const sent: ReturnType<typeof decodeMessage>[] = [];
  const data: string[] = [];
  const closed: string[] = [];
  const protocol = new SessionProtocol({
    send: (frame) => sent.push(decodeMessage(frame)),
    nowMs: () => now,
    newId: () => ID,
    events: {
      onData: (_t, b) => data.push(b.toString()),
      onChannelClosed: (o) => closed.push(o),
      onFatal: (e) => closed.push(`fatal: ${e.message}`),
    },
  });
  return { protocol, sent, data, closed, advance: (ms: number) => (now += ms) };
}

const stream = (sent: ReturnType<typeof decodeMessage>[]) => sent.filter((m) => m.messageType === MessageType.InputStreamData);

describe('session protocol state machine', () => {
  it('holds Size and stdin until HandshakeComplete, then sends them in order from seq 0', async () => {
    const h = harness();
    h.protocol.sendSize(80, 24);
    h.protocol.sendInput(Buffer.from('x'.repeat(1500)));
    h.protocol.receiveFrame(
      agentFrame(0, PayloadType.HandshakeRequest, JSON.stringify({ AgentVersion: '3.3.0.0', RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'InteractiveCommands', Properties: null } }] })),
    );
    await new Promise((r) => setImmediate(r));
    expect(stream(h.sent).map((m) => m.payloadType)).toEqual([PayloadType.HandshakeResponse]);
    const response = JSON.parse(stream(h.sent)[0]!.payload.toString()) as { ProcessedClientActions: Array<{ ActionStatus: number }> };
    expect(response.ProcessedClientActions[0]!.ActionStatus).toBe(1);
    h.protocol.receiveFrame(agentFrame(1, PayloadType.HandshakeComplete, '{"HandshakeTimeToComplete":1,"CustomerMessage":""}'));
    const s = stream(h.sent);
    expect(s.map((m) => [Number(m.sequenceNumber), m.payloadType, m.payload.length])).toEqual([
      [0, 6, s[0]!.payload.length],
      [1, 3, 21],
      [2, 1, 1024],
      [3, 1, 476],
    ]);
  });

  it('legacy path: first Output makes the session ready; acks carry the acked seq; duplicates are re-acked', () => {
    const h = harness();
    h.protocol.receiveFrame(agentFrame(0, PayloadType.Output, 'sh$ '));
    h.protocol.receiveFrame(agentFrame(0, PayloadType.Output, 'sh$ '));
    expect(h.data).toEqual(['sh$ ']);
    const acks = h.sent.filter((m) => m.messageType === MessageType.Acknowledge);
    expect(acks).toHaveLength(2);
    expect(acks.every((a) => JSON.parse(a.payload.toString()).AcknowledgedMessageSequenceNumber === 0)).toBe(true);
    expect(h.protocol.isReady).toBe(true);
  });

  it('resends unacked input after the RTO, not before, and stops once acked', () => {
    const h = harness();
    h.protocol.receiveFrame(agentFrame(0, PayloadType.Output, '$'));
    h.protocol.sendInput(Buffer.from('ls\n'));
    const count = () => stream(h.sent).length;
    h.advance(200);
    h.protocol.tick();
    expect(count()).toBe(1);
    h.advance(1);
    h.protocol.tick();
    expect(count()).toBe(2);
    h.protocol.receiveFrame(
      encodeMessage({ messageType: MessageType.Acknowledge, schemaVersion: 1, createdDate: 1n, sequenceNumber: 0n, flags: 3n, messageId: ID, payloadType: 0, payload: Buffer.from('{"AcknowledgedMessageSequenceNumber":0}') }),
    );
    h.advance(5000);
    h.protocol.tick();
    expect(count()).toBe(2);
  });

  it('drops frames with a bad digest without acking; channel_closed ends with its Output', () => {
    const h = harness();
    const bad = agentFrame(0, PayloadType.Output, 'x');
    bad[90] ^= 1;
    h.protocol.receiveFrame(bad);
    expect(h.sent).toEqual([]);
    h.protocol.receiveFrame(agentFrame(0, 0, JSON.stringify({ Output: 'Your session timed out due to inactivity and has been terminated.' }), MessageType.ChannelClosed));
    expect(h.closed).toEqual(['Your session timed out due to inactivity and has been terminated.']);
  });

  it('KMS requested without a data-key provider fails with a clear message', async () => {
    const h = harness();
    h.protocol.receiveFrame(agentFrame(0, PayloadType.HandshakeRequest, JSON.stringify({ RequestedClientActions: [{ ActionType: 'KMSEncryption', ActionParameters: { KMSKeyId: 'k1' } }] })));
    await new Promise((r) => setImmediate(r));
    expect(h.closed[0]).toMatch(/requires KMS encryption \(key k1\) but no KMS client/);
    expect(stream(h.sent)).toEqual([]);
  });
});
