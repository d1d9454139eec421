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

  it('keeps the run id whole within 512 characters; a long runbook path keeps its end and gains a hash of the whole path', () => {
    const base = { repository: 'acme/ops', pullRequest: 7, runbookDigest: 'sha256:' + 'f'.repeat(64), runId: '9876543210-3' };
    const head = `opsgate/acme/ops/pr-7/${'f'.repeat(32)}/`;
    // The layout the README documents (and earlier versions wrote), so the ledger still finds their runs.
    expect(auditStreamName({ ...base, runbookPath: 'runbooks/a.yml' })).toBe(`${head}runbooks/a.yml/9876543210-3`);
    for (const runbookPath of ['x'.repeat(600), 'runbooks/' + '😀'.repeat(300), 'é'.repeat(400), '']) {
      const name = auditStreamName({ ...base, runbookPath });
      expect(name.length).toBeLessThanOrEqual(512);
      expect(name.startsWith(head)).toBe(true);
      expect(name).toBe(`${ledgerStreamPrefix({ ...base, runbookPath })}9876543210-3`);
      expect(name).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/); // no half surrogate pair
    }
    // Two long paths with the same end still have their own slots.
    const tail = 'y'.repeat(500);
    expect(ledgerStreamPrefix({ ...base, runbookPath: `a/${tail}` })).not.toBe(ledgerStreamPrefix({ ...base, runbookPath: `b/${tail}` }));
    // The longest repository GitHub allows and the longest run id still fit.
    const longest = auditStreamName({ ...base, repository: `${'o'.repeat(39)}/${'n'.repeat(100)}`, runbookPath: 'z'.repeat(600), runId: 'r'.repeat(128) });
    expect(longest.length).toBe(512);
    expect(longest.endsWith(`/${'r'.repeat(128)}`)).toBe(true);
    expect(() => auditStreamName({ ...base, runbookPath: 'a', repository: 'o/' + 'n'.repeat(400) })).toThrow(/leaves no room for the runbook path/);
  });

  it('gives two files with the same content in one PR two ledger slots (the path is part of the prefix)', () => {
    const slot = { repository: 'acme/ops', pullRequest: 7, runbookDigest: 'sha256:' + 'f'.repeat(64) };
    expect(ledgerStreamPrefix({ ...slot, runbookPath: 'runbooks/a.yml' })).not.toBe(ledgerStreamPrefix({ ...slot, runbookPath: 'runbooks/b.yml' }));
  });

  it('names streams within CloudWatch rules with the ledger prefix first', () => {
    const id = { repository: 'acme/ops', pullRequest: 7, runbookPath: 'a:b*c.yaml'.repeat(100), runbookDigest: 'sha256:' + 'f'.repeat(64), runId: '123-1' };
    const name = auditStreamName(id);
    expect(name.length).toBeLessThanOrEqual(512);
    expect(name).not.toMatch(/[:*]/);
    expect(name.startsWith(ledgerStreamPrefix(id))).toBe(true);
    expect(name.endsWith('/123-1')).toBe(true);
  });
});
