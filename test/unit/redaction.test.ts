import { describe, expect, it } from 'vitest';
import { createRedactor, MASK, MIN_SECRET_LENGTH } from '../../src/run/redaction.js';
import { maskPublished } from '../../src/usecases/merge-report.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function streamAll(redactor: ReturnType<typeof createRedactor>, chunks: Uint8Array[]): Buffer {
  const s = redactor.stream();
  const out = chunks.map((c) => Buffer.from(s.push(c)));
  out.push(Buffer.from(s.end()));
  return Buffer.concat(out);
}

describe('redaction', () => {
  const redactor = createRedactor({ secrets: ['s3cr3t-pa55', 'pa55', 'x'], patterns: ['AKIA[0-9A-Z]{16}', 'password=\\S+'] });

  it('masks literal secrets (longest first) and policy patterns', () => {
    expect(redactor.redact('url postgres://u:s3cr3t-pa55@db/x and pa55')).toBe(`url postgres://u:${MASK}@db/x and ${MASK}`);
    expect(redactor.redact('key AKIAABCDEFGHIJKLMNOP; password=hunter2 done')).toBe(`key ${MASK}; ${MASK} done`);
    // Values shorter than 4 characters are not treated as secrets.
    expect(redactor.redact('x marks')).toBe('x marks');
  });

  it('masks a secret split across chunks, at every split point', () => {
    const text = 'line one\nconnecting with s3cr3t-pa55 now\nend';
    const bytes = enc.encode(text);
    for (let i = 1; i < bytes.length; i++) {
      const out = streamAll(redactor, [bytes.subarray(0, i), bytes.subarray(i)]);
      expect(dec.decode(out)).toBe(`line one\nconnecting with ${MASK} now\nend`);
    }
    const oneByOne = streamAll(redactor, [...bytes].map((b) => Uint8Array.of(b)));
    expect(dec.decode(oneByOne)).toBe(`line one\nconnecting with ${MASK} now\nend`);
  });

  it('passes non-UTF-8 bytes through unchanged, and still masks secrets next to them', () => {
    const binary = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0x0a, 0xc3, 0x28, 0x0a]);
    expect(Buffer.compare(streamAll(redactor, [binary.subarray(0, 3), binary.subarray(3)]), Buffer.from(binary))).toBe(0);
    const mixed = Buffer.concat([Buffer.from([0xff, 0x20]), Buffer.from('s3cr3t-pa55'), Buffer.from([0x20, 0xfe, 0x0a])]);
    expect(streamAll(redactor, [mixed.subarray(0, 5), mixed.subarray(5)])).toEqual(Buffer.concat([Buffer.from([0xff, 0x20]), Buffer.from(MASK), Buffer.from([0x20, 0xfe, 0x0a])]));
  });

  it('keeps multi-byte characters intact across chunks', () => {
    const bytes = enc.encode('café ✓ — naïve\n');
    const out = streamAll(redactor, [...bytes].map((b) => Uint8Array.of(b)));
    expect(dec.decode(out)).toBe('café ✓ — naïve\n');
  });

  it('releases very long lines without holding everything, and never leaks a secret at the cut', () => {
    const filler = 'a'.repeat(70 * 1024);
    for (const offset of [0, 3, 11, 200]) {
      const text = filler.slice(0, filler.length - offset) + 's3cr3t-pa55' + 'b'.repeat(80 * 1024);
      const s = redactor.stream();
      const bytes = enc.encode(text);
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 4096) parts.push(Buffer.from(s.push(bytes.subarray(i, i + 4096))));
      const beforeEnd = Buffer.concat(parts).length;
      parts.push(Buffer.from(s.end()));
      const out = Buffer.concat(parts).toString('utf8');
      expect(beforeEnd).toBeGreaterThan(0);
      expect(out).not.toContain('s3cr3t');
      expect(out).toContain(MASK);
      expect(out.length).toBe(text.length - 's3cr3t-pa55'.length + MASK.length);
    }
  });

  it('masks published text (comment, summary, Slack) with the same threshold as step output', () => {
    // "abc" is below MIN_SECRET_LENGTH everywhere; the redactor and the publication mask agree.
    expect(maskPublished('abc and abcd', ['abc', 'abcd'])).toBe(`abc and ${MASK}`);
    expect(createRedactor({ secrets: ['abc', 'abcd'] }).redact('abc and abcd')).toBe(`abc and ${MASK}`);
    expect(MIN_SECRET_LENGTH).toBe(4);
  });

  it('still masks with a pattern that compiles only without the u flag, and skips invalid ones when publishing', () => {
    // \- is fine in a plain JavaScript RegExp (what config validation checks) but a syntax error with the u flag.
    expect(createRedactor({ patterns: ['key\\-[0-9]+'] }).redact('key-42 done')).toBe(`${MASK} done`);
    expect(maskPublished('key-42 (x', [], ['key\\-[0-9]+', '('])).toBe(`${MASK} (x`);
  });

  it('returns the same bytes when there is nothing to mask', () => {
    const none = createRedactor({});
    const bytes = enc.encode('plain\n');
    expect(none.redactBytes(bytes)).toBe(bytes);
    expect(none.redact('plain')).toBe('plain');
  });
});
