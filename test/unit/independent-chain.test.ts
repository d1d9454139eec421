// The test-support chain check (test/support/independent-chain.ts) that audit tests run next to src's verifier:
// transcripts built here by hand, from the documented format, not by src/audit.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkChainIndependently } from '../support/independent-chain.js';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Raw lines with seq 0.. and prev = sha256 of the line before. */
function chain(count: number, body: (seq: number) => Record<string, unknown> = () => ({})): string[] {
  const lines: string[] = [];
  for (let seq = 0; seq < count; seq++) lines.push(JSON.stringify({ v: 1, seq, prev: seq === 0 ? '' : sha(lines[seq - 1]!), type: 'x', ...body(seq) }));
  return lines;
}

/** The line as `n` part messages. */
function parts(line: string, n: number): string[] {
  const size = Math.ceil(line.length / n);
  return Array.from({ length: n }, (_, i) => JSON.stringify({ v: 1, type: 'part', of: sha(line), i, n, text: line.slice(i * size, (i + 1) * size) }));
}

describe('independent chain check', () => {
  it('accepts an intact chain, with a split line reassembled, and reports its head', () => {
    const lines = chain(4, (seq) => (seq === 2 ? { big: 'ü"\\'.repeat(50) } : {}));
    const report = checkChainIndependently([lines[0]!, lines[1]!, ...parts(lines[2]!, 3), lines[3]!]);
    expect(report).toEqual({ ok: true, problems: [], events: 4, parts: 3, duplicates: 0, head: { seq: 3, sha256: sha(lines[3]!) } });
  });

  it('counts identical copies from a retried upload apart, lines and parts alike', () => {
    const lines = chain(3);
    const split = parts(lines[1]!, 2);
    expect(checkChainIndependently([lines[0]!, ...split, ...split, lines[2]!, lines[2]!])).toMatchObject({ ok: true, events: 3, duplicates: 3 });
  });

  it('finds an edited line: the next prev no longer matches', () => {
    const lines = chain(3);
    lines[1] = lines[1]!.replace('"type":"x"', '"type":"y"');
    expect(checkChainIndependently(lines).problems).toEqual([expect.stringMatching(/^message 3: seq 2 has prev/)]);
  });

  it('finds a deleted or reordered line', () => {
    const lines = chain(4);
    expect(checkChainIndependently([lines[0]!, lines[2]!, lines[3]!]).ok).toBe(false);
    expect(checkChainIndependently([lines[0]!, lines[2]!, lines[1]!, lines[3]!]).ok).toBe(false);
  });

  it('finds a missing, reordered or edited part, and a split line cut off at the end', () => {
    const lines = chain(3);
    const split = parts(lines[1]!, 3);
    expect(checkChainIndependently([lines[0]!, split[0]!, split[2]!, lines[2]!]).ok).toBe(false);
    expect(checkChainIndependently([lines[0]!, split[1]!, split[0]!, split[2]!, lines[2]!]).ok).toBe(false);
    const edited = JSON.stringify({ ...JSON.parse(split[1]!), text: 'x' + (JSON.parse(split[1]!) as { text: string }).text.slice(1) });
    expect(checkChainIndependently([lines[0]!, split[0]!, edited, split[2]!, lines[2]!]).problems).toContainEqual(expect.stringMatching(/joined do not hash/));
    expect(checkChainIndependently([lines[0]!, split[0]!, split[1]!]).problems).toContainEqual(expect.stringMatching(/ends inside the split line/));
  });

  it('needs the first line to have an empty prev', () => {
    const lines = chain(2);
    expect(checkChainIndependently(lines.slice(1)).ok).toBe(false);
  });
});
