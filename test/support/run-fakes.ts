// Small in-memory stand-ins for the orchestrator's ports: a scripted executor, an audit log that records
// events (and can be told to fail), and a manual clock whose sleeps wake when a test advances time.
import type { AuditLog, AuditLocation, RunFinishedInfo, RunIdentity, RunStartedInfo, StepFinishedInfo, StepStartedInfo } from '../../src/ports/audit.js';
import { AuditUnavailableError } from '../../src/ports/audit.js';
import type { OutputStream, ResolvedTarget, StepContext, StepExecutor, StepResult } from '../../src/ports/executor.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Step } from '../../src/runbook/model.js';

export class ManualClock implements Clock {
  private t: number;
  private timers: { at: number; resolve: () => void }[] = [];
  constructor(start = '2026-11-23T00:00:00Z') {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(new Error('aborted'));
      };
      const timer = {
        at: this.t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  /** Moves time forward in 1 s ticks, letting sleepers run at each tick. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      this.t = Math.min(end, this.t + 1000);
      const due = this.timers.filter((x) => x.at <= this.t);
      this.timers = this.timers.filter((x) => x.at > this.t);
      for (const timer of due) timer.resolve();
      await new Promise((r) => setImmediate(r));
    }
  }
}

export type AuditEvent =
  | { type: 'run.started'; identity: RunIdentity; info: RunStartedInfo }
  | { type: 'step.started'; info: StepStartedInfo }
  | { type: 'step.output'; index: number; stream: OutputStream; text: string; bytes: Buffer }
  | { type: 'step.finished'; info: StepFinishedInfo }
  | { type: 'run.finished'; info: RunFinishedInfo }
  | { type: 'target.resolved'; target: ResolvedTarget }
  | { type: 'flush' };

export class MemoryAudit implements AuditLog {
  readonly location: AuditLocation = { kind: 'file', description: 'memory audit' };
  readonly events: AuditEvent[] = [];
  /** Fail the n-th call of a method (1-based) and every later call. */
  failAt: Partial<Record<'runStarted' | 'targetResolved' | 'stepStarted' | 'stepOutput' | 'stepFinished' | 'runFinished' | 'flush', number>> = {};
  private calls: Record<string, number> = {};

  private check(method: keyof MemoryAudit['failAt']): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    const at = this.failAt[method];
    if (at !== undefined && this.calls[method]! >= at) throw new AuditUnavailableError(`PutLogEvents refused (${method})`);
  }
  async runStarted(identity: RunIdentity, info: RunStartedInfo) {
    this.check('runStarted');
    this.events.push({ type: 'run.started', identity, info });
  }
  async targetResolved(target: ResolvedTarget) {
    this.check('targetResolved');
    this.events.push({ type: 'target.resolved', target });
  }
  async stepStarted(info: StepStartedInfo) {
    this.check('stepStarted');
    this.events.push({ type: 'step.started', info });
  }
  async stepOutput(index: number, stream: OutputStream, chunk: Uint8Array) {
    this.check('stepOutput');
    this.events.push({ type: 'step.output', index, stream, text: Buffer.from(chunk).toString('utf8'), bytes: Buffer.from(chunk) });
  }
  async stepFinished(info: StepFinishedInfo) {
    this.check('stepFinished');
    this.events.push({ type: 'step.finished', info });
  }
  async runFinished(info: RunFinishedInfo) {
    this.check('runFinished');
    this.events.push({ type: 'run.finished', info });
  }
  async flush() {
    this.check('flush');
    this.events.push({ type: 'flush' });
  }
  types(): string[] {
    return this.events.map((e) => e.type);
  }
  output(index: number): string {
    return this.events.flatMap((e) => (e.type === 'step.output' && e.index === index ? [e.text] : [])).join('');
  }
}

export type StepScript = (step: Step, context: StepContext) => Promise<StepResult>;

export class ScriptedExecutor implements StepExecutor {
  prepared = 0;
  disposed = 0;
  ran: string[] = [];
  prepareError?: Error;
  /** Set to model an executor whose steps may legitimately outlast their timeout. */
  maxStepDurationMs?: (step: Step) => number;
  constructor(private readonly scripts: Record<string, StepScript>) {}
  async prepare(): Promise<ResolvedTarget> {
    this.prepared++;
    if (this.prepareError) throw this.prepareError;
    return { description: 'scripted target', members: ['localhost'] };
  }
  async runStep(step: Step, context: StepContext): Promise<StepResult> {
    this.ran.push(step.name);
    const script = this.scripts[step.name];
    if (!script) throw new Error(`no script for ${step.name}`);
    return script(step, context);
  }
  async dispose(): Promise<void> {
    this.disposed++;
  }
}

export const ok: StepResult = { status: 'succeeded', exitCode: 0, message: 'exited with code 0' };

/** Writes chunks through the executor's output listener, as a real executor would. */
export async function print(context: StepContext, ...chunks: (string | Uint8Array)[]): Promise<void> {
  for (const chunk of chunks) await context.onOutput('stdout', typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
}

/** Resolves when the step's signal aborts, returning 'cancelled' like a real executor. */
export function waitForAbort(context: StepContext): Promise<StepResult> {
  return new Promise((resolve) => {
    const done = () => resolve({ status: 'cancelled', exitCode: null, message: 'stopped: the run was cancelled' });
    if (context.signal.aborted) done();
    else context.signal.addEventListener('abort', done, { once: true });
  });
}
