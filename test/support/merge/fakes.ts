// In-memory fakes of the ports the merge phase uses, for unit tests of the use case. The real adapters are
// exercised by the e2e tests (GitHub stand-in, moto, local executor).
import type { AuditLocation, AuditLog, Ledger, LedgerEntry, RunIdentity, RunSlot } from '../../../src/ports/audit.js';
import { claimRunSlot, type ClaimRecord, type ClaimStore } from '../../../src/audit/claim.js';
import { combineLedgerEntries, ledgerEntryFromEvents } from '../../../src/audit/ledger-state.js';
import { TranscriptBuilder } from '../../../src/audit/transcript.js';
import type { StepContext, StepExecutor, StepResult } from '../../../src/ports/executor.js';
import type { ChangedFile, CommentRef, GitHubGateway, PullRequestInfo, Review } from '../../../src/ports/github.js';
import type { Reporter } from '../../../src/ports/reporter.js';
import { systemClock, type Clock } from '../../../src/ports/clock.js';
import type { Step } from '../../../src/runbook/model.js';

export class FakeGitHub implements GitHubGateway {
  pulls = new Map<number, PullRequestInfo>();
  prsByCommit = new Map<string, number[]>();
  files = new Map<number, ChangedFile[]>();
  contents = new Map<string, string>();
  reviews = new Map<number, Review[]>();
  comments = new Map<string, { id: number; body: string }>();
  failReads = false;
  private nextId = 1;

  setFile(path: string, ref: string, text: string) {
    this.contents.set(`${ref}:${path}`, text);
  }
  private check() {
    if (this.failReads) throw new Error('HTTP 502 from api.github.com');
  }
  async getPullRequest(n: number) {
    this.check();
    const pr = this.pulls.get(n);
    if (!pr) throw new Error(`no PR ${n}`);
    return pr;
  }
  async listPullRequestsForCommit(sha: string) {
    this.check();
    return (this.prsByCommit.get(sha) ?? []).map((n) => this.pulls.get(n)!);
  }
  /** Thrown by listPullRequestFiles when set (e.g. TooManyFilesError). */
  filesError?: Error;
  async listPullRequestFiles(n: number) {
    this.check();
    if (this.filesError) throw this.filesError;
    return this.files.get(n) ?? [];
  }
  /** Paths read, as "ref:path" (to show which commit a gate looked at). */
  reads: string[] = [];
  async readFile(path: string, ref: string) {
    this.check();
    this.reads.push(`${ref}:${path}`);
    const text = this.contents.get(`${ref}:${path}`);
    return text === undefined ? null : new TextEncoder().encode(text);
  }
  async listReviews(n: number) {
    return this.reviews.get(n) ?? [];
  }
  async listPullRequestCommits() {
    return [];
  }
  async getTeamMembership() {
    return 'member' as const;
  }
  async getRepoPermission() {
    return 'write' as const;
  }
  async upsertStickyComment(issue: number, marker: string, body: string): Promise<CommentRef> {
    const key = `${issue}:${marker}`;
    const id = this.comments.get(key)?.id ?? this.nextId++;
    this.comments.set(key, { id, body });
    return { id, url: `https://github.com/acme/ops/pull/${issue}#issuecomment-${id}` };
  }
  async findStickyComment(issue: number, marker: string) {
    this.check();
    const c = this.comments.get(`${issue}:${marker}`);
    return c ? { id: c.id, url: '', body: c.body } : null;
  }
  async setCommitStatus() {}
}

interface LedgerRecord {
  identity: RunIdentity;
  /** For a record a test seeds directly: the step in flight, or the reason code it finished with. */
  inFlight?: { index: number; name: string };
  finished?: string;
  /** The control events of a transcript written through open(), built by the real TranscriptBuilder. */
  events?: Record<string, unknown>[];
}

/** A seeded record as the transcript a real run would have left. */
function seededEvents(record: LedgerRecord): Record<string, unknown>[] {
  const builder = new TranscriptBuilder(() => new Date());
  const lines = builder.runStarted(record.identity, { approvers: [], target: { name: 't', description: 't', members: [] }, title: 'seeded' });
  if (record.inFlight) lines.push(...builder.stepStarted({ ...record.inFlight, kind: 'shell', command: '' }));
  if (record.finished) lines.push(...builder.runFinished({ outcome: record.finished === 'ok' ? 'proceed' : 'refuse', reasonCode: record.finished, message: '' }));
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

const sameRunbook = (a: RunIdentity, b: RunSlot) =>
  a.repository === b.repository && a.pullRequest === b.pullRequest && a.runbookPath === b.runbookPath && a.runbookDigest === b.runbookDigest;

/** A clock at a fixed instant whose sleep really waits (the orchestrator's heartbeat sleeps in a loop). */
export function fixedClock(at: () => Date): Clock {
  return { now: at, sleep: systemClock.sleep };
}

/** Audit logs and a ledger over the same in-memory records, like the CloudWatch pair over one log group. */
export class FakeAudit {
  records: LedgerRecord[] = [];
  events: string[] = [];
  ledgerFails = false;
  location: AuditLocation = { kind: 'cloudwatch', description: 'CloudWatch Logs /opsgate/audit', consoleUrl: 'https://console.example/stream', insightsUrl: 'https://console.example/insights' };

  /** Claim generations per runbook slot ("repo#pr#path#digest"), as the CloudWatch claim streams would hold them. */
  claims = new Map<string, ClaimRecord[]>();

  /** The real rules (ledger-state.ts, claim.ts) over in-memory transcripts, so this fake cannot drift from production. */
  ledger: Ledger = {
    lookup: async (slot): Promise<LedgerEntry> => {
      if (this.ledgerFails) throw new Error('AccessDeniedException: not authorized to perform logs:DescribeLogStreams');
      return combineLedgerEntries(this.entriesFor(slot));
    },
    claim: async (identity) => claimRunSlot(this.claimStore(identity), identity, systemClock),
  };

  private entriesFor(expected: RunSlot): LedgerEntry[] {
    return this.records.filter((r) => sameRunbook(r.identity, expected)).map((r) => ledgerEntryFromEvents(r.events ?? seededEvents(r), this.location));
  }

  private claimStore(identity: RunIdentity): ClaimStore {
    const key = `${identity.repository}#${identity.pullRequest}#${identity.runbookPath}#${identity.runbookDigest}`;
    const generations = this.claims.get(key) ?? [];
    this.claims.set(key, generations);
    return {
      newest: async () => (generations.length ? { generation: generations.length, where: `memory claim ${key}`, record: generations.at(-1)! } : undefined),
      create: async (generation, record) => (generation === generations.length + 1 ? (generations.push(record), true) : false),
      holderEntry: async (runId) => this.entriesFor(identity).find((e) => e.runId === runId),
    };
  }

  open = (identity: RunIdentity): AuditLog => {
    const record: LedgerRecord = { identity, events: [] };
    const builder = new TranscriptBuilder(() => new Date());
    const push = (e: string, lines: string[] = []) => {
      this.events.push(`${identity.runbookPath}:${e}`);
      for (const line of lines) record.events!.push(JSON.parse(line) as Record<string, unknown>);
    };
    return {
      location: this.location,
      runStarted: async (id, info) => {
        this.records.push(record);
        push('run.started', builder.runStarted(id, info));
      },
      targetResolved: async (target) => {
        push(`target.resolved:${target.members.join(',')}`, builder.targetResolved(target));
      },
      stepStarted: async (info) => {
        push(`step.started:${info.index}:${info.command}`, builder.stepStarted(info));
      },
      stepOutput: async () => undefined,
      stepFinished: async (info) => {
        push(`step.finished:${info.index}:${info.result.status}`, builder.stepFinished(info));
      },
      runFinished: async (info) => {
        push(`run.finished:${info.reasonCode}`, builder.runFinished(info));
      },
      flush: async () => undefined,
    };
  };
}

/**
 * Runs shell steps by recording them. "exit 1" fails; "sleep…" waits until the step's signal aborts; "hang"
 * never returns (a process that dies mid-step); "leak" prints and fails with a secret in it.
 */
export class FakeExecutor implements StepExecutor {
  ran: string[] = [];
  disposed = 0;
  private started!: () => void;
  /** Resolves when a step that waits has started. */
  waiting = new Promise<void>((resolve) => (this.started = resolve));
  async prepare() {
    return { description: 'this machine', members: ['localhost'] };
  }
  async runStep(step: Step, context: StepContext): Promise<StepResult> {
    const text = step.kind === 'shell' ? step.run : step.sql;
    this.ran.push(text);
    await context.onOutput('stdout', new TextEncoder().encode(`ran ${step.name}\n`));
    if (text === 'hang') {
      this.started();
      return new Promise<StepResult>(() => undefined);
    }
    if (text.startsWith('sleep')) {
      this.started();
      await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
      return { status: 'cancelled', exitCode: null, message: 'stopped: the job was cancelled' };
    }
    if (text.startsWith('leak ')) {
      await context.onOutput('stdout', new TextEncoder().encode(`token ${text.slice(5)}\n`));
      return { status: 'failed', exitCode: 2, message: `login failed for ${text.slice(5)}` };
    }
    return text.includes('exit 1') ? { status: 'failed', exitCode: 1, message: 'exited with code 1' } : { status: 'succeeded', exitCode: 0, message: 'exited with code 0' };
  }
  async dispose() {
    this.disposed += 1;
  }
}

export class RecordingReporter implements Reporter {
  lines: string[] = [];
  masked: string[] = [];
  summaries: string[] = [];
  info(m: string) {
    this.lines.push(m);
  }
  warning(m: string) {
    this.lines.push(`warning: ${m}`);
  }
  annotate(d: readonly { message: string }[]) {
    for (const x of d) this.lines.push(`annotation: ${x.message}`);
  }
  async summary(md: string) {
    this.summaries.push(md);
  }
  mask(s: string) {
    this.masked.push(s);
  }
}
