// Tampering with a transcript file is detected precisely, through `opsgate audit verify --file`.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFileAuditLog } from '../../src/adapters/local/file-audit.js';
import { sha256Hex } from '../../src/audit/events.js';
import { verifyMessages } from '../../src/audit/verify.js';
import { auditCommand } from '../../src/cli/audit.js';
import { driveRun, identity } from '../support/audit-fixtures.js';

let dir: string;
let lines: string[];

async function verifyFile(content: string[], ...extra: string[]): Promise<{ code: number; out: string }> {
  const path = join(dir, `t-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(path, content.join('\n') + '\n');
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    return { code: await auditCommand(['verify', '--file', path, ...extra]), out };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsgate-audit-verify-'));
  const path = join(dir, 'run.jsonl');
  await driveRun(createFileAuditLog(path), identity('r1'), [[Buffer.from('one\n'), Uint8Array.from([0xff, 0xfe])], [Buffer.from('two\n')]]);
  lines = (await readFile(path, 'utf8')).trim().split('\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('opsgate audit verify --file', () => {
  it('passes an untouched transcript and reports copies from a retried upload as duplicates, not tampering', async () => {
    expect(await verifyFile(lines)).toMatchObject({ code: 0 });
    const dup = await verifyFile([...lines.slice(0, 3), lines[2]!, ...lines.slice(3)]);
    expect(dup.code).toBe(0);
    expect(dup.out).toContain('1 duplicate(s) left by retried uploads');
    // A whole batch sent twice, the copy landing after later events (CloudWatch orders by timestamp).
    const batchTwice = await verifyFile([...lines.slice(0, 4), ...lines.slice(1, 4), ...lines.slice(4)]);
    expect(batchTwice.code).toBe(0);
    expect(batchTwice.out).toContain('3 duplicate(s)');
  });

  it('reports a repeated seq whose content differs as an edit, not a duplicate', async () => {
    const copy = lines[2]!.replace('"text":"one', '"text":"eno');
    const result = await verifyFile([...lines.slice(0, 4), copy, ...lines.slice(4)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/seq 2 appears twice with different content/);
  });

  it('reports a deleted event', async () => {
    const result = await verifyFile([...lines.slice(0, 2), ...lines.slice(3)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/1 event\(s\) missing before seq 3: seq 2 deleted/);
  });

  it('reports a reordered event', async () => {
    const result = await verifyFile([lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/seq 1 \(step.started\) appears after seq 2 \(reordered/);
  });

  it('reports an edited event and the step whose output no longer matches', async () => {
    expect(lines[2]).toContain('"text":"one\\n"');
    const edited = [...lines];
    edited[2] = lines[2]!.replace('"text":"one', '"text":"eno'); // same length, different bytes
    const result = await verifyFile(edited);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/hash chain broken: seq 2 was edited/);
    expect(result.out).toMatch(/step 0: output sha256 \w+ differs from the recorded/);
  });

  it('reports an event appended after run.finished', async () => {
    const last = JSON.parse(lines.at(-1)!) as { seq: number };
    const extra = JSON.stringify({ v: 1, seq: last.seq + 1, prev: sha256Hex(lines.at(-1)!), time: new Date().toISOString(), type: 'step.started', index: 9, name: 'later', kind: 'shell', command: 'rm -rf /' });
    const result = await verifyFile([...lines, extra]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/1 event\(s\) follow run.finished/);
  });

  it('names a line that is not JSON precisely', async () => {
    const result = await verifyFile([lines[0]!, 'garbage here', ...lines.slice(1)]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/:2 is not an opsgate audit event \(not a JSON object/);
  });

  it('exits 2 on bad usage', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await auditCommand(['verify'])).toBe(2);
      expect(await auditCommand(['verify', '--file', 'x', '--stream', 's'])).toBe(2);
      expect(await auditCommand(['nope'])).toBe(2);
      expect(await auditCommand(['verify', '--file', 'x', '--expect-head', '12'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('opsgate audit verify --expect-head (the head published when the run finished)', () => {
  const headOf = (content: string[]) => `${(JSON.parse(content.at(-1)!) as { seq: number }).seq}:${sha256Hex(content.at(-1)!)}`;

  it('passes the untouched transcript against its head', async () => {
    expect(await verifyFile(lines, '--expect-head', headOf(lines))).toMatchObject({ code: 0, out: expect.stringMatching(/published head check out/) });
  });

  it('detects an edited last event, which the chain alone cannot', async () => {
    const edited = [...lines];
    edited[edited.length - 1] = lines.at(-1)!.replace('all steps succeeded', 'all steps succeeded!');
    expect((await verifyFile(edited)).code).toBe(0); // nothing follows the last event, so the chain cannot tell
    const result = await verifyFile(edited, '--expect-head', headOf(lines));
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/the event at seq \d+ does not match the published head .* \(edited\)/);
  });

  it('detects a deleted tail and events after the head', async () => {
    const cut = await verifyFile(lines.slice(0, -1), '--expect-head', headOf(lines));
    expect(cut.code).toBe(1);
    expect(cut.out).toMatch(/ends at seq \d+, before the published head .* \(tail deleted\)/);
    const early = await verifyFile(lines, '--expect-head', headOf(lines.slice(0, -1)));
    expect(early.code).toBe(1);
    expect(early.out).toMatch(/1 event\(s\) follow the published head/);
  });

  it('detects deleted, reordered and edited middle events with the head given', async () => {
    const head = headOf(lines);
    expect((await verifyFile([...lines.slice(0, 2), ...lines.slice(3)], '--expect-head', head)).out).toMatch(/seq 2 deleted/);
    expect((await verifyFile([lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)], '--expect-head', head)).out).toMatch(/reordered/);
    const edited = [...lines];
    edited[1] = lines[1]!.replace('echo hi', 'echo ho');
    expect((await verifyFile(edited, '--expect-head', head)).out).toMatch(/hash chain broken: seq 1 was edited/);
  });
});

describe('split events', () => {
  it('joins parts, and treats repeated parts of a retried batch as duplicates', () => {
    const line = lines[1]!;
    const of = sha256Hex(line);
    const half = Math.floor(line.length / 2);
    const p = (i: number, text: string) => JSON.stringify({ v: 1, type: 'part', of, i, n: 2, text });
    const split = [lines[0]!, p(0, line.slice(0, half)), p(1, line.slice(half)), ...lines.slice(2)];
    expect(verifyMessages(split)).toMatchObject({ ok: true, duplicatesIgnored: 0 });
    // The batch holding part 1 and the next event is sent twice; later the same split is re-sent whole.
    const retried = [lines[0]!, p(0, line.slice(0, half)), p(0, line.slice(0, half)), p(1, line.slice(half)), lines[2]!, p(1, line.slice(half)), lines[2]!, ...lines.slice(3)];
    expect(verifyMessages(retried)).toMatchObject({ ok: true, duplicatesIgnored: 3 });
    const missing = verifyMessages([lines[0]!, p(0, line.slice(0, half)), ...lines.slice(2)]);
    expect(missing.problems.join('\n')).toMatch(/split event \w+ is missing parts \(1 of 2 found\)/);
  });
});
