import { describe, expect, it } from 'vitest';
import { InboundSequencer } from '../../src/adapters/aws/session/inbound-sequencer.js';
import { OutboundWindow } from '../../src/adapters/aws/session/outbound-window.js';
import { initialRtoState, updateRto } from '../../src/adapters/aws/session/rto.js';
import { buildOpenDataChannelFrame, CLIENT_VERSION } from '../../src/adapters/aws/session/open-data-channel.js';
import { MessageType, PayloadType, type DecodedMessage } from '../../src/adapters/aws/session/message.js';

function output(seq: number, text = `m${seq}`): DecodedMessage {
  const payload = Buffer.from(text);
  return {
    headerLength: 116,
    messageType: MessageType.OutputStreamData,
    schemaVersion: 1,
    createdDate: 1n,
    sequenceNumber: BigInt(seq),
    flags: seq === 0 ? 1n : 0n,
    messageId: '00112233-4455-4677-8899-aabbccddeeff',
    payloadType: PayloadType.Output,
    payloadLength: payload.length,
    payloadDigest: Buffer.alloc(32),
    payload,
  };
}

const seqs = (list: DecodedMessage[]): number[] => list.map((m) => Number(m.sequenceNumber));

describe('RTO estimator (Appendix A9)', () => {
  it('100 ms RTT, 0 RTTVAR, 140 ms sample → RTT 105, RTTVAR 10, RTO 145', () => {
    expect(updateRto(initialRtoState(), 140)).toEqual({ rttMs: 105, rttVarMs: 10, rtoMs: 145 });
  });

  it('is floored by 10 ms of variance and capped at 1 s', () => {
    let state = initialRtoState();
    for (let i = 0; i < 50; i++) state = updateRto(state, 100);
    expect(state.rtoMs).toBeCloseTo(110, 0);
    expect(updateRto(state, 60_000).rtoMs).toBe(1000);
  });
});

describe('inbound sequencer', () => {
  it('delivers in order, buffers early messages, drains the buffer when the gap fills', () => {
    const s = new InboundSequencer();
    expect(seqs(s.accept(output(0)).deliver)).toEqual([0]);
    const early = s.accept(output(2));
    expect(seqs(early.ack)).toEqual([2]);
    expect(early.deliver).toEqual([]);
    expect(seqs(s.accept(output(3)).deliver)).toEqual([]);
    const fill = s.accept(output(1));
    expect(seqs(fill.ack)).toEqual([1]);
    expect(seqs(fill.deliver)).toEqual([1, 2, 3]);
    expect(s.expectedSequence).toBe(4n);
    expect(s.bufferedCount).toBe(0);
  });

  it('re-acks duplicates (old and buffered) without delivering them again', () => {
    const s = new InboundSequencer();
    s.accept(output(0));
    s.accept(output(2));
    expect(s.accept(output(0))).toEqual({ ack: [output(0)], deliver: [] });
    expect(seqs(s.accept(output(2)).ack)).toEqual([2]);
    expect(seqs(s.accept(output(1)).deliver)).toEqual([1, 2]);
  });

  it('not ready: no ack and no advance, so the sender retransmits', () => {
    const s = new InboundSequencer();
    expect(s.accept(output(0), false)).toEqual({ ack: [], deliver: [] });
    expect(s.expectedSequence).toBe(0n);
    expect(seqs(s.accept(output(0), true).deliver)).toEqual([0]);
  });

  it('drops (without ack) early messages when the reorder buffer is full', () => {
    const s = new InboundSequencer(1);
    s.accept(output(5));
    expect(s.accept(output(6))).toEqual({ ack: [], deliver: [] });
  });

  it('any permutation with duplicates is delivered exactly once, in order', () => {
    const s = new InboundSequencer();
    const order = [4, 1, 1, 0, 3, 7, 2, 6, 5, 5, 0, 9, 8];
    const delivered = order.flatMap((n) => seqs(s.accept(output(n)).deliver));
    expect(delivered).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('outbound window', () => {
  it('numbers from 0, resends only the oldest after the RTO, and moves its send time', () => {
    const w = new OutboundWindow();
    const a = w.allocateSequence();
    const b = w.allocateSequence();
    expect([a, b]).toEqual([0n, 1n]);
    w.recordSent(a, Buffer.from('a'), 1000);
    w.recordSent(b, Buffer.from('b'), 1000);
    expect(w.takeDueResend(1200)).toBeUndefined();
    expect(w.takeDueResend(1201)?.frame.toString()).toBe('a');
    expect(w.takeDueResend(1300)).toBeUndefined();
    expect(w.takeDueResend(1402)?.resends).toBe(2);
    expect(w.acknowledge(0, 1403)).toBe(true);
    expect(w.rtoMs).toBe(200);
    // b was sent at 1000 and never resent, so it is overdue at once and becomes the one resent.
    expect(w.takeDueResend(1403)?.frame.toString()).toBe('b');
    expect(w.takeDueResend(1404)).toBeUndefined();
  });

  it('samples RTT only from messages that were never resent; unknown acks are ignored', () => {
    const w = new OutboundWindow();
    w.recordSent(w.allocateSequence(), Buffer.from('x'), 0);
    expect(w.acknowledge(9, 10)).toBe(false);
    expect(w.acknowledge(0, 140)).toBe(true);
    expect(w.rtoMs).toBe(145);
    expect(w.unackedCount).toBe(0);
  });

  it('pause_publication stops resends until start_publication', () => {
    const w = new OutboundWindow();
    w.recordSent(w.allocateSequence(), Buffer.from('x'), 0);
    w.setPaused(true);
    expect(w.takeDueResend(10_000)).toBeUndefined();
    w.setPaused(false);
    expect(w.takeDueResend(10_000)).toBeDefined();
    expect(w.oldestAgeMs(10_000)).toBe(10_000);
  });
});

describe('OpenDataChannel text frame', () => {
  it('has the five fields with a realistic client version', () => {
    const frame = JSON.parse(buildOpenDataChannelFrame({ tokenValue: 'TOKEN', clientId: 'cid', requestId: 'rid' })) as Record<string, string>;
    expect(frame).toEqual({
      MessageSchemaVersion: '1.0',
      RequestId: 'rid',
      TokenValue: 'TOKEN',
      ClientId: 'cid',
      ClientVersion: CLIENT_VERSION,
    });
    expect(CLIENT_VERSION).not.toBe('1.2.0.0');
    const fresh = JSON.parse(buildOpenDataChannelFrame({ tokenValue: 't', clientId: 'c' })) as Record<string, string>;
    expect(fresh.RequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
