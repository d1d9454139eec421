// Tampering with a transcript file is detected precisely, through `opsgate audit verify --file`.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFileAuditLog, createFileLedger } from '../../src/adapters/local/file-audit.js';
import { auditCommand } from '../../src/cli/audit.js';
import { driveRun, identity } from '../support/audit-fixtures.js';

let dir: string;
let lines: string[];

async function verifyFile(content: string[]): Promise<{ code: number; out: string }> {
  const path = join(dir, `t-${Math.random().toString(36).slice(2)}.txt`);
  await writeFile(path, content.join('\n') + '\n');
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    return { code: await auditCommand(['verify', '--file', path]), out };
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
  it('passes an untouched transcript and tolerates an exact duplicate', async () => {
    expect(await verifyFile(lines)).toMatchObject({ code: 0 });
    const dup = await verifyFile([...lines.slice(0, 3), lines[2]!, ...lines.slice(3)]);
    expect(dup.code).toBe(0);
    expect(dup.out).toContain('1 exact duplicate');
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

  it('exits 2 on bad usage', async () => {
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await auditCommand(['verify'])).toBe(2);
      expect(await auditCommand(['verify', '--file', 'x', '--stream', 's'])).toBe(2);
      expect(await auditCommand(['nope'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('file ledger', () => {
  it('finds completed and interrupted runs and fails closed on an unreadable directory', async () => {
    const ledgerDir = join(dir, 'ledger');
    const id = identity('r2');
    const ledger = createFileLedger(ledgerDir);
    expect(await ledger.lookup(id.repository, id.pullRequest, id.runbookDigest)).toEqual({ state: 'never-ran' });
    const log = createFileAuditLog(join(ledgerDir, 'a.jsonl'));
    await log.runStarted(id, { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' });
    await log.stepStarted({ index: 0, name: 'migrate', kind: 'sql', command: 'select 1' });
    expect(await ledger.lookup(id.repository, id.pullRequest, id.runbookDigest)).toMatchObject({ state: 'interrupted', stepInFlight: { index: 0, name: 'migrate' } });
    await driveRun(createFileAuditLog(join(ledgerDir, 'b.jsonl')), { ...id, runId: 'r3' }, [[]]);
    expect(await ledger.lookup(id.repository, id.pullRequest, id.runbookDigest)).toMatchObject({ state: 'completed', runId: 'r3' });
    expect(await ledger.lookup(id.repository, 999, id.runbookDigest)).toEqual({ state: 'never-ran' });
    await expect(createFileLedger(join(dir, 'run.jsonl')).lookup('a', 1, 'b')).rejects.toThrow(/Cannot read the run ledger/);
  });
});
