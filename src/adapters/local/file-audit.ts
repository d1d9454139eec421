// The audit log as a JSON-lines file (local runs), and a ledger over a directory of such files whose run slot
// is claimed with a file created atomically (written "wx", then linked into place).
import { randomUUID } from 'node:crypto';
import { appendFile, link, mkdir, open, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AuditUnavailableError, type AuditLocation, type AuditLog, type Ledger, type LedgerEntry, type RunFinishedInfo, type RunIdentity, type RunStartedInfo, type StepFinishedInfo, type StepStartedInfo } from '../../ports/audit.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import type { OutputStream, ResolvedTarget } from '../../ports/executor.js';
import { claimRecordOf, claimRunSlot, type ClaimRecord, type ClaimStore } from '../../audit/claim.js';
import { sha256Hex } from '../../audit/events.js';
import { readAttempt, type AttemptSource, type ExpectedIdentity } from '../../audit/ledger-read.js';
import { combineLedgerEntries } from '../../audit/ledger-state.js';
import { ledgerStreamPrefix } from '../../audit/stream-name.js';
import { TranscriptBuilder } from '../../audit/transcript.js';
import { errorText } from '../../run/error-text.js';
import { readTranscriptFile } from './transcript-file.js';

export function createFileAuditLog(path: string, now: () => Date = () => new Date()): AuditLog {
  return new FileAuditLog(path, now);
}

export class FileAuditLog implements AuditLog {
  private readonly builder: TranscriptBuilder;
  private chainHead: { seq: number; sha256: string } | undefined;

  constructor(
    private readonly path: string,
    now: () => Date = () => new Date(),
  ) {
    this.builder = new TranscriptBuilder(now);
  }

  get location(): AuditLocation {
    return { kind: 'file', description: this.path, ...(this.chainHead ? { chainHead: this.chainHead } : {}) };
  }

  async runStarted(identity: RunIdentity, info: RunStartedInfo): Promise<void> {
    await this.append(this.builder.runStarted(identity, info));
  }
  async targetResolved(target: ResolvedTarget): Promise<void> {
    await this.append(this.builder.targetResolved(target));
  }
  async stepStarted(info: StepStartedInfo): Promise<void> {
    await this.append(this.builder.stepStarted(info));
  }
  async stepOutput(index: number, stream: OutputStream, chunk: Uint8Array): Promise<void> {
    await this.append(this.builder.stepOutput(index, stream, chunk));
  }
  async stepFinished(info: StepFinishedInfo): Promise<void> {
    await this.append(this.builder.stepFinished(info));
  }
  async runFinished(info: RunFinishedInfo): Promise<void> {
    const lines = this.builder.runFinished(info);
    this.chainHead = this.builder.head();
    await this.append(lines);
  }
  async flush(): Promise<void> {
    // Every line is appended before its write returns, so the orchestrator's flush points have nothing left to do.
  }

  private async append(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, lines.join('\n') + '\n', { mode: 0o600 });
    } catch (error) {
      throw new AuditUnavailableError(`Cannot write the audit file ${this.path}: ${errorText(error)}. Check the path and its permissions.`, { cause: error });
    }
  }
}

/** Enough for any run.finished line; a longer last line just means a full read. */
const TAIL_BYTES = 256 * 1024;

/** The last line of a file without reading all of it, or undefined when it does not fit in TAIL_BYTES. */
async function readLastLine(path: string): Promise<string | undefined> {
  const size = (await stat(path)).size;
  const length = Math.min(size, TAIL_BYTES);
  const handle = await open(path, 'r');
  try {
    const tail = Buffer.alloc(length);
    await handle.read(tail, 0, length, size - length);
    let end = tail.length;
    while (end > 0 && (tail[end - 1] === 0x0a || tail[end - 1] === 0x0d)) end -= 1;
    const start = tail.lastIndexOf(0x0a, end - 1) + 1;
    if (start === 0 && length < size) return undefined;
    return end > start ? tail.subarray(start, end).toString('utf8') : undefined;
  } finally {
    await handle.close();
  }
}

function fileSource(path: string): AttemptSource {
  return { where: path, messages: () => readTranscriptFile(path), lastMessage: () => readLastLine(path) };
}

const fileLocation = (path: string): AuditLocation => ({ kind: 'file', description: path });

/** Ledger over a directory of *.jsonl transcripts; throws (fails closed) when the directory cannot be read. */
export function createFileLedger(dir: string, clock: Clock = systemClock): Ledger {
  const attempts = async (expected: ExpectedIdentity): Promise<{ path: string; entry: LedgerEntry }[]> => {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`Cannot read the run ledger directory ${dir}: ${errorText(error)}`, { cause: error });
    }
    const found: { path: string; entry: LedgerEntry }[] = [];
    for (const name of names) {
      const path = join(dir, name);
      try {
        const entry = await readAttempt(fileSource(path), expected, () => fileLocation(path));
        // A file without any event cannot say whose attempt it was: not one of ours.
        if (entry && entry.runId !== undefined) found.push({ path, entry });
      } catch (error) {
        throw new Error(`Cannot read the run ledger directory ${dir}: ${errorText(error)}`, { cause: error });
      }
    }
    return found;
  };
  return {
    lookup: async (slot) => combineLedgerEntries((await attempts(slot)).map((a) => a.entry)),
    claim: (identity) => claimRunSlot(fileClaimStore(dir, identity, attempts), identity, clock),
  };
}

function fileClaimStore(dir: string, identity: RunIdentity, attempts: (expected: ExpectedIdentity) => Promise<{ entry: LedgerEntry }[]>): ClaimStore {
  const expected = { repository: identity.repository, pullRequest: identity.pullRequest, runbookPath: identity.runbookPath, runbookDigest: identity.runbookDigest };
  const stem = `claim-${sha256Hex(ledgerStreamPrefix(identity)).slice(0, 24)}.`;
  const pathOf = (generation: number) => join(dir, `${stem}${generation}.json`);
  return {
    async newest() {
      const generations = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(stem) && n.endsWith('.json')).map((n) => Number(n.slice(stem.length, -'.json'.length)));
      const generation = Math.max(0, ...generations.filter((g) => Number.isInteger(g)));
      if (generation === 0) return undefined;
      const path = pathOf(generation);
      const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => ''), stat(path)]);
      let record: ClaimRecord | undefined;
      try {
        record = claimRecordOf(JSON.parse(text));
      } catch {
        record = undefined; // being written right now, or cut short
      }
      return { generation, where: path, createdMs: info.mtimeMs, ...(record ? { record } : {}) };
    },
    // The record is written to a private file first (opened "wx"), then linked into place: link() fails with
    // EEXIST atomically, and a reader never sees a claim without its record.
    async create(generation, record) {
      await mkdir(dir, { recursive: true });
      // Private to this claim: two claimants may share a process and a run id (two jobs of one workflow run).
      const draft = `${pathOf(generation)}.${process.pid}.${randomUUID()}.draft`;
      try {
        await writeFile(draft, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
        await link(draft, pathOf(generation));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw new Error(`Cannot claim the run slot in ${dir}: ${errorText(error)}`, { cause: error });
      } finally {
        await unlink(draft).catch(() => undefined);
      }
    },
    async holderEntry(runId) {
      return (await attempts(expected)).find((a) => a.entry.runId === runId)?.entry;
    },
  };
}
