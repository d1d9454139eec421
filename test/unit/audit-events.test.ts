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

  it('keeps the prefix and the run id whole at the 512-character limit, cutting the runbook path from its start', () => {
    const base = { repository: 'acme/ops', pullRequest: 7, runbookDigest: 'sha256:' + 'f'.repeat(64), runId: '9876543210-3' };
    const prefix = ledgerStreamPrefix('acme/ops', 7, base.runbookDigest);
    for (const runbookPath of ['x'.repeat(600), 'runbooks/' + '😀'.repeat(300), 'é'.repeat(512 - prefix.length - base.runId.length - 1), '']) {
      const name = auditStreamName({ ...base, runbookPath });
      expect(name.length).toBeLessThanOrEqual(512);
      expect(name.startsWith(prefix)).toBe(true);
      expect(name.endsWith('/9876543210-3')).toBe(true);
      expect(name).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/); // no half surrogate pair
    }
    const exact = auditStreamName({ ...base, runbookPath: 'é'.repeat(512 - prefix.length - base.runId.length - 1) });
    expect(exact.length).toBe(512);
    // No room at all for the runbook: the run id still survives (it used to be cut by slice(-0)).
    const longRunId = 'r'.repeat(128);
    const overhead = ledgerStreamPrefix('', 7, base.runbookDigest).length;
    const repository = 'o/' + 'n'.repeat(512 - overhead - longRunId.length - 1 - 2);
    const tight = auditStreamName({ ...base, runbookPath: 'runbooks/a.yml', runId: longRunId, repository });
    expect(tight).toBe(`${ledgerStreamPrefix(repository, 7, base.runbookDigest)}/${longRunId}`);
    expect(tight.length).toBe(512);
    expect(() => auditStreamName({ ...base, runbookPath: 'a', runId: longRunId, repository: repository + 'x' })).toThrow(/leaves no room for the run id/);
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
