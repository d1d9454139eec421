// The audit log as a JSON-lines file (local runs), and a ledger over a directory of such files.
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { AuditUnavailableError, type AuditLocation, type AuditLog, type Ledger, type LedgerEntry, type RunFinishedInfo, type RunIdentity, type RunStartedInfo, type StepFinishedInfo, type StepStartedInfo } from '../../ports/audit.js';
import type { OutputStream, ResolvedTarget } from '../../ports/executor.js';
import { TranscriptBuilder } from '../../audit/transcript.js';
import { ledgerEntryFromEvents } from '../../audit/ledger-state.js';

export function createFileAuditLog(path: string, now: () => Date = () => new Date()): AuditLog {
  return new FileAuditLog(path, now);
}

export class FileAuditLog implements AuditLog {
  readonly location: AuditLocation;
  private readonly builder: TranscriptBuilder;

  constructor(private readonly path: string, now: () => Date = () => new Date()) {
    this.location = { kind: 'file', description: path };
    this.builder = new TranscriptBuilder(now);
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
    await this.append(this.builder.runFinished(info));
  }
  async flush(): Promise<void> {
    // Every line is appended before the call returns.
  }

  private async append(lines: string[]): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, lines.join('\n') + '\n', { mode: 0o600 });
    } catch (error) {
      throw new AuditUnavailableError(`Cannot write the audit file ${this.path}: ${(error as Error).message}. Check the path and its permissions.`, { cause: error });
    }
  }
}

/** Reads a JSON-lines transcript one line at a time (memory bounded by the longest line). */
export async function* readTranscriptFile(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') yield line;
}

/** Ledger over a directory of *.jsonl transcripts; throws (fails closed) when the directory cannot be read. */
export function createFileLedger(dir: string): Ledger {
  return {
    async lookup(repository, pullRequest, runbookDigest): Promise<LedgerEntry> {
      let names: string[];
      try {
        names = (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'never-ran' };
        throw new Error(`Cannot read the run ledger directory ${dir}: ${(error as Error).message}`, { cause: error });
      }
      const entries: LedgerEntry[] = [];
      for (const name of names) {
        const path = join(dir, name);
        const events: Record<string, unknown>[] = [];
        for await (const line of readTranscriptFile(path)) {
          const event = JSON.parse(line) as Record<string, unknown>;
          if (event.type !== 'step.output') events.push(event);
        }
        const identity = (events[0]?.identity ?? {}) as Partial<RunIdentity>;
        if (identity.repository !== repository || (identity.pullRequest ?? null) !== pullRequest || identity.runbookDigest !== runbookDigest) continue;
        entries.push(ledgerEntryFromEvents(events, { kind: 'file', description: path }));
      }
      return entries.find((e) => e.state === 'completed') ?? entries.at(-1) ?? { state: 'never-ran' };
    },
  };
}
