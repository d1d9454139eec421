// The run-once rules and the file ledger: how each kind of earlier attempt reads, the claim of the run slot
// (O_EXCL files), and clear failures on transcripts that cannot be read.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileAuditLog, createFileLedger } from '../../src/adapters/local/file-audit.js';
import { CLAIM_STALE_MS, combineLedgerEntries, mayTakeOver } from '../../src/audit/ledger-state.js';
import type { AuditLog, RunIdentity } from '../../src/ports/audit.js';
import { driveRun, identity } from '../support/audit-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsgate-ledger-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const started = { approvers: [], target: { name: 'db', description: 'x', members: [] }, title: 't' };
const ok = { status: 'succeeded' as const, exitCode: 0, message: 'ok' };

/** A fresh ledger directory and an identity whose digest is its own. */
function fresh(name: string): { ledgerDir: string; id: RunIdentity; log: (file: string, runId: string) => AuditLog } {
  const ledgerDir = join(dir, name);
  const id = { ...identity('first'), runbookDigest: `sha256:${name.padEnd(64, '0')}` };
  return { ledgerDir, id, log: (file) => createFileAuditLog(join(ledgerDir, file)) };
}

const lookup = (ledgerDir: string, id: RunIdentity) => createFileLedger(ledgerDir).lookup(id);

describe('file ledger: how an earlier attempt reads', () => {
  it('never-ran for an empty or missing directory, and for another PR', async () => {
    const { ledgerDir, id, log } = fresh('a1');
    expect(await lookup(ledgerDir, id)).toEqual({ state: 'never-ran' });
    await driveRun(log('x.jsonl', 'first'), id, [[]]);
    expect(await createFileLedger(ledgerDir).lookup({ ...id, pullRequest: 999 })).toEqual({ state: 'never-ran' });
    expect(await createFileLedger(ledgerDir).lookup({ ...id, runbookPath: 'runbooks/same-content-other-file.yml' })).toEqual({ state: 'never-ran' });
  });

  it('completed keeps outcome and reason code, from the last line alone', async () => {
    const { ledgerDir, id, log } = fresh('a2');
    await driveRun(log('x.jsonl', 'first'), id, [[Buffer.from('out\n')]]);
    expect(await lookup(ledgerDir, id)).toMatchObject({ state: 'completed', runId: 'first', outcome: 'succeeded', reasonCode: 'ok', stepsStarted: 1 });
  });

  it('interrupted names the step in flight; a cancelled run is interrupted too, never completed', async () => {
    const { ledgerDir, id, log } = fresh('a3');
    const killed = log('killed.jsonl', 'first');
    await killed.runStarted(id, started);
    await killed.stepStarted({ index: 0, name: 'migrate', kind: 'sql', command: 'select 1' });
    expect(await lookup(ledgerDir, id)).toMatchObject({ state: 'interrupted', stepInFlight: { index: 0, name: 'migrate' } });

    const other = fresh('a3b');
    const cancelled = other.log('c.jsonl', 'first');
    await cancelled.runStarted(other.id, started);
    await cancelled.stepStarted({ index: 0, name: 'one', kind: 'shell', command: 'true' });
    await cancelled.stepFinished({ index: 0, name: 'one', result: ok, durationMs: 1 });
    await cancelled.stepStarted({ index: 1, name: 'long', kind: 'shell', command: 'sleep 600' });
    await cancelled.stepFinished({ index: 1, name: 'long', result: { status: 'cancelled', exitCode: null, message: 'stopped' }, durationMs: 1 });
    await cancelled.runFinished({ outcome: 'refuse', reasonCode: 'cancelled', message: 'cancelled during step 2' });
    expect(await lookup(other.ledgerDir, other.id)).toMatchObject({ state: 'interrupted', reasonCode: 'cancelled', stepInFlight: { index: 1, name: 'long' } });
  });

  it('a run that finished before any step started ran nothing: never-ran, with what happened', async () => {
    const { ledgerDir, id, log } = fresh('a4');
    const prepareFailed = log('p.jsonl', 'first');
    await prepareFailed.runStarted(id, started);
    await prepareFailed.runFinished({ outcome: 'error', reasonCode: 'executor-unavailable', message: 'no instances' });
    expect(await lookup(ledgerDir, id)).toEqual({ state: 'never-ran', runId: 'first', outcome: 'error', reasonCode: 'executor-unavailable', stepsStarted: 0, location: expect.any(Object) });
  });

  it('ignores a transcript whose run.started names another identity, and explains a line that is not JSON', async () => {
    const { ledgerDir, id, log } = fresh('a5');
    await driveRun(log('mine.jsonl', 'first'), { ...id, repository: 'someone/else' }, [[]]);
    expect(await lookup(ledgerDir, id)).toEqual({ state: 'never-ran' });
    await writeFile(join(ledgerDir, 'broken.jsonl'), 'not json at all\n');
    await expect(lookup(ledgerDir, id)).rejects.toThrow(/Cannot read the run ledger directory .*broken\.jsonl is not an opsgate audit event/s);
  });

  it('fails closed on a directory it cannot read', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    await expect(createFileLedger(file).lookup({ repository: 'a', pullRequest: 1, runbookPath: 'r.yml', runbookDigest: 'b' })).rejects.toThrow(/Cannot read the run ledger directory/);
  });
});

describe('combining attempts', () => {
  it('anything that may have changed production wins over attempts that ran nothing', () => {
    const nothing = { state: 'never-ran' as const, runId: 'r1', stepsStarted: 0, reasonCode: 'executor-unavailable' };
    const completed = { state: 'completed' as const, runId: 'r2', reasonCode: 'ok' };
    const interrupted = { state: 'interrupted' as const, runId: 'r3' };
    expect(combineLedgerEntries([nothing, completed])).toBe(completed);
    expect(combineLedgerEntries([completed, interrupted])).toBe(interrupted);
    expect(combineLedgerEntries([{ state: 'never-ran' }, nothing])).toBe(nothing);
    expect(combineLedgerEntries([])).toEqual({ state: 'never-ran' });
  });

  it('a slot may be taken over only from a holder that provably ran nothing', () => {
    expect(mayTakeOver({ state: 'never-ran', runId: 'r1', stepsStarted: 0 }, 0)).toEqual({ allowed: true });
    expect(mayTakeOver({ state: 'interrupted', runId: 'r1', stepsStarted: 1 }, CLAIM_STALE_MS * 10)).toMatchObject({ allowed: false });
    expect(mayTakeOver({ state: 'completed', runId: 'r1', reasonCode: 'step-failed' }, CLAIM_STALE_MS * 10)).toMatchObject({ allowed: false, why: expect.stringMatching(/step-failed/) });
    expect(mayTakeOver(undefined, 1000)).toMatchObject({ allowed: false, why: expect.stringMatching(/may be about to run/) });
    expect(mayTakeOver(undefined, CLAIM_STALE_MS)).toEqual({ allowed: true });
  });
});

describe('file ledger claims', () => {
  it('gives the slot to exactly one of many concurrent attempts', async () => {
    const { ledgerDir, id } = fresh('c1');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => createFileLedger(ledgerDir).claim({ ...id, runId: `r${i}` })));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const winner = `r${results.findIndex((r) => r.claimed)}`;
    for (const lost of results.filter((r) => !r.claimed)) expect(lost).toMatchObject({ claimed: false, byRunId: winner, message: expect.stringMatching(/may be about to run/) });
  });

  it('gives it to only one of two claimants with the same run id (two jobs of one workflow run)', async () => {
    const { ledgerDir, id } = fresh('c4');
    const job = { ...id, runId: '4242-1' };
    const [first, second] = await Promise.all([createFileLedger(ledgerDir).claim({ ...job, job: 'ops' }), createFileLedger(ledgerDir).claim({ ...job, job: 'ops-copy' })]);
    expect([first, second].filter((r) => r.claimed)).toHaveLength(1);
    expect([first, second].find((r) => !r.claimed)).toMatchObject({ claimed: false, byRunId: '4242-1' });
    // One after the other too: the slot is no claimant's just because the run id matches.
    expect(await createFileLedger(ledgerDir).claim(job)).toMatchObject({ claimed: false, byRunId: '4242-1' });
  });

  it('gives two files with the same content their own slots', async () => {
    const { ledgerDir, id, log } = fresh('c5');
    const a = { ...id, runbookPath: 'runbooks/a.yml' };
    const b = { ...id, runbookPath: 'runbooks/b.yml' };
    expect(await createFileLedger(ledgerDir).claim(a)).toEqual({ claimed: true });
    await driveRun(log('a.jsonl', a.runId), a, [[]]);
    expect(await lookup(ledgerDir, a)).toMatchObject({ state: 'completed' });
    expect(await lookup(ledgerDir, b)).toEqual({ state: 'never-ran' });
    expect(await createFileLedger(ledgerDir).claim(b)).toEqual({ claimed: true });
  });

  it('is taken over from a holder that ran nothing, and kept by one that ran steps', async () => {
    const { ledgerDir, id, log } = fresh('c2');
    const ledger = createFileLedger(ledgerDir);
    expect(await ledger.claim({ ...id, runId: 'a' })).toEqual({ claimed: true });
    const nothing = log('a.jsonl', 'a');
    await nothing.runStarted({ ...id, runId: 'a' }, started);
    await nothing.runFinished({ outcome: 'error', reasonCode: 'executor-unavailable', message: 'x' });
    expect(await ledger.claim({ ...id, runId: 'b' })).toEqual({ claimed: true });
    await driveRun(log('b.jsonl', 'b'), { ...id, runId: 'b' }, [[]]);
    expect(await ledger.claim({ ...id, runId: 'c' })).toMatchObject({ claimed: false, byRunId: 'b', message: expect.stringMatching(/finished \(ok\)/) });
  });

  it('a holder that never wrote run.started blocks only until the claim is stale', async () => {
    const { ledgerDir, id } = fresh('c3');
    let now = 1_000_000;
    const ledger = createFileLedger(ledgerDir, { now: () => new Date(now), sleep: async () => undefined });
    expect(await ledger.claim({ ...id, runId: 'gone' })).toEqual({ claimed: true });
    expect(await ledger.claim({ ...id, runId: 'next' })).toMatchObject({ claimed: false, byRunId: 'gone' });
    now += CLAIM_STALE_MS;
    expect(await ledger.claim({ ...id, runId: 'next' })).toEqual({ claimed: true });
  });
});
