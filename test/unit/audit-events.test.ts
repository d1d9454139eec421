import { describe, expect, it } from 'vitest';
import { BatchBuffer, MAX_BATCH_BYTES, minimumBatchCount } from '../../src/audit/batch.js';
import { decodeOutputBytes, encodeOutputBytes, splitLine } from '../../src/audit/events.js';
import { auditStreamName, ledgerStreamPrefix } from '../../src/audit/stream-name.js';

describe('audit events', () => {
  it('encodes invalid UTF-8 losslessly as base64 and valid text as text', () => {
    const bad = Uint8Array.from([0x61, 0xff, 0xc3]);
    const encoded = encodeOutputBytes(bad);
    expect(encoded.encoding).toBe('base64');
    expect([...decodeOutputBytes(encoded)]).toEqual([...bad]);
    expect(encodeOutputBytes(Buffer.from('héllo'))).toEqual({ encoding: 'utf8', text: 'héllo' });
  });

  it('splits oversized lines into parts under the cap without breaking surrogate pairs', () => {
    const line = JSON.stringify({ text: '😀'.repeat(400_000) });
    const parts = splitLine(line);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => Buffer.byteLength(p) <= 1_048_550)).toBe(true);
    expect(parts.map((p) => (JSON.parse(p) as { text: string }).text).join('')).toBe(line);
    expect(splitLine('{"small":1}')).toEqual(['{"small":1}']);
  });

  it('batches within the byte and count limits and keeps timestamps chronological', () => {
    const buffer = new BatchBuffer();
    buffer.add('a'.repeat(MAX_BATCH_BYTES - 26 - 100), 2000);
    expect(buffer.wouldOverflow('b'.repeat(75), 2000)).toBe(true);
    expect(buffer.wouldOverflow('b'.repeat(74), 2000)).toBe(false);
    buffer.add('late clock', 1000);
    expect(buffer.take().map((e) => e.timestamp)).toEqual([2000, 2000]);
    expect(minimumBatchCount(10 * MAX_BATCH_BYTES, 20_000)).toBe(11);
  });

  it('names streams within CloudWatch rules with the ledger prefix first', () => {
    const id = { repository: 'acme/ops', pullRequest: 7, runbookPath: 'a:b*c.yaml'.repeat(100), runbookDigest: 'sha256:' + 'f'.repeat(64), runId: '123-1' };
    const name = auditStreamName(id);
    expect(name.length).toBeLessThanOrEqual(512);
    expect(name).not.toMatch(/[:*]/);
    expect(name.startsWith(ledgerStreamPrefix('acme/ops', 7, id.runbookDigest))).toBe(true);
    expect(name.endsWith('/123-1')).toBe(true);
  });
});
