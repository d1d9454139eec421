// In-memory fakes of the ports the merge phase uses, for unit tests of the use case. The real adapters are
// exercised by the e2e tests (GitHub stand-in, moto, local executor).
import type { AuditLocation, AuditLog, Ledger, LedgerEntry, RunIdentity } from '../../../src/ports/audit.js';
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
  async listPullRequestFiles(n: number) {
    this.check();
    return this.files.get(n) ?? [];
  }
  async readFile(path: string, ref: string) {
    this.check();
    return this.contents.get(`${ref}:${path}`) ?? null;
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
  inFlight?: { index: number; name: string };
  finished?: string;
}

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

  ledger: Ledger = {
    lookup: async (repository, pr, digest): Promise<LedgerEntry> => {
      if (this.ledgerFails) throw new Error('AccessDeniedException: not authorized to perform logs:DescribeLogStreams');
      const runs = this.records.filter((r) => r.identity.repository === repository && r.identity.pullRequest === pr && r.identity.runbookDigest === digest);
      const done = runs.find((r) => r.finished && r.finished !== 'cancelled');
      if (done) return { state: 'completed', runId: done.identity.runId, reasonCode: done.finished };
      const broken = runs.find((r) => !r.finished || r.finished === 'cancelled');
      if (broken) return { state: 'interrupted', runId: broken.identity.runId, stepInFlight: broken.inFlight };
      return { state: 'never-ran' };
    },
  };

  open = (identity: RunIdentity): AuditLog => {
    const record: LedgerRecord = { identity };
    const push = (e: string) => this.events.push(`${identity.runbookPath}:${e}`);
    return {
      location: this.location,
      runStarted: async () => {
        this.records.push(record);
        push('run.started');
      },
      targetResolved: async (target) => {
        push(`target.resolved:${target.members.join(',')}`);
      },
      stepStarted: async (info) => {
        record.inFlight = { index: info.index, name: info.name };
        push(`step.started:${info.index}:${info.command}`);
      },
      stepOutput: async () => undefined,
      stepFinished: async (info) => {
        record.inFlight = undefined;
        push(`step.finished:${info.index}:${info.result.status}`);
      },
      runFinished: async (info) => {
        record.finished = info.reasonCode;
        push(`run.finished:${info.reasonCode}`);
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
