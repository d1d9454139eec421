// The simulator's Run Command engine: SendCommand's document check and instance selection, rate control
// (MaxConcurrency and MaxErrors as SSM applies them), real bash processes per simulated instance, timeouts (the
// delivery timeout, executionTimeout, and the command's own deadline) and CancelCommand.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AwsJsonError } from '../smithy-validator.js';
import { checkRunShellScript, type RunShellScriptParameters } from './documents.js';
import { OutputUploader } from './output-upload.js';

export interface SimInstance {
  id: string;
  tags?: Record<string, string>;
  /**
   * online (default); offline: PingStatus ConnectionLost and never picks a command up (Delivery Timed Out);
   * unresponsive: reports Online but never picks a command up; unmanaged: unknown to SSM (InvalidInstanceId);
   * undeliverable: fails at once as Undeliverable; delayed: Delayed for a while, then runs.
   */
  state?: 'online' | 'offline' | 'unresponsive' | 'unmanaged' | 'undeliverable' | 'delayed';
  /** Keeps running when cancelled: SSM gives no guarantee that a cancel stops the process. */
  ignoresCancel?: boolean;
  /** Extra environment for commands on this instance. */
  env?: Record<string, string>;
}

export interface EngineOptions {
  /**
   * Simulated seconds per real second for SSM's clocks: TimeoutSeconds, executionTimeout and the command's
   * deadline (100 → a 30 s delivery timeout becomes 0.3 s, a 60 s executionTimeout 0.6 s). Scripts run in real time.
   */
  timeScale?: number;
  /** How long a 'delayed' instance stays Delayed (default 500 ms). */
  delayedMs?: number;
  /** Where CloudWatchOutputConfig output goes (a client pointed at moto_server); without it, nothing is uploaded. */
  logs?: CloudWatchLogsClient;
  /** The instance role may not write the output group: the agent uploads nothing. */
  uploadDenied?: boolean;
  /** The agent's upload interval (default 30 s, as the real agent). */
  uploadIntervalMs?: number;
}

export interface Invocation {
  commandId: string;
  instanceId: string;
  status: string;
  details: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  requested: number;
  child?: ChildProcess;
  polls: number;
}

export interface Command {
  id: string;
  request: Record<string, unknown>;
  document: RunShellScriptParameters;
  /** Wall time (Date.now) of the command's deadline: TimeoutSeconds + executionTimeout after it was sent. */
  expiresAt: number;
  invocations: Invocation[];
  status: string;
  errors: number;
  requested: number;
  /** The most invocations running at once, to check MaxConcurrency. */
  maxRunning: number;
  listCalls: number;
}

export const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
const IN_FLIGHT = new Set(['InProgress', 'Delayed', 'Cancelling']);

export class CommandEngine {
  readonly commands = new Map<string, Command>();
  /** 'change' (invocation, command) whenever an invocation changes status or prints output. */
  readonly events = new EventEmitter();
  /** Wall time (performance.now) when each invocation's process ended: `${commandId}/${instanceId}`. */
  readonly endedAt = new Map<string, number>();
  private readonly awaiting = new Set<Invocation>();

  constructor(
    readonly instances: Map<string, SimInstance>,
    private readonly options: EngineOptions,
  ) {}

  send(b: Record<string, unknown>): Command {
    if (b.DocumentName !== 'AWS-RunShellScript') throw new AwsJsonError('InvalidDocument', 'the simulator runs AWS-RunShellScript only');
    const document = checkRunShellScript(b.Parameters);
    const selected = this.select(b);
    const id = randomUUID();
    const now = Date.now() / 1000;
    const invocation = (inst: SimInstance): Invocation => ({
      commandId: id, instanceId: inst.id, status: 'Pending', details: 'Pending', responseCode: -1, stdout: '', stderr: '', requested: now, polls: 0,
    });
    const lifetimeS = Number(b.TimeoutSeconds ?? 3600) + document.executionTimeoutSeconds;
    const command: Command = {
      id, request: b, document, expiresAt: Date.now() + this.realMs(lifetimeS),
      status: 'Pending', errors: 0, requested: now, maxRunning: 0, listCalls: 0, invocations: selected.map(invocation),
    };
    this.commands.set(id, command);
    if (selected.length === 0) command.status = 'Success';
    else this.pump(command);
    if (selected.length > 0) setTimeout(() => this.expire(command), this.realMs(lifetimeS)).unref();
    return command;
  }

  /**
   * SSM's command deadline (TimeoutSeconds + executionTimeout): invocations still Pending, Delayed or InProgress
   * become Delivery Timed Out. SSM documents only the status; the simulator also stops such a process.
   */
  private expire(c: Command): void {
    for (const inv of c.invocations) {
      if (inv.status !== 'Pending' && inv.status !== 'Delayed' && inv.status !== 'InProgress') continue;
      if (inv.child) killGroup(inv.child);
      this.finish(c, inv, 'TimedOut', 'Delivery Timed Out', -1);
    }
    this.pump(c);
  }

  /** Real milliseconds for simulated seconds. */
  private realMs(seconds: number): number {
    return (seconds * 1000) / (this.options.timeScale ?? 1);
  }

  cancel(b: Record<string, unknown>): void {
    const c = this.commands.get(b.CommandId as string);
    if (!c) throw new AwsJsonError('InvalidCommandId', '');
    const only = b.InstanceIds as string[] | undefined;
    for (const inv of c.invocations) {
      if (only && !only.includes(inv.instanceId)) continue;
      if (inv.status === 'Pending' || inv.status === 'Delayed' || this.awaiting.has(inv)) {
        this.finish(c, inv, 'Cancelled', 'Cancelled', -1);
      } else if (inv.status === 'InProgress') {
        inv.status = 'Cancelling';
        inv.details = 'Cancelling';
        this.events.emit('change', inv, c);
        if (inv.child && !this.instances.get(inv.instanceId)?.ignoresCancel) killGroup(inv.child);
      }
    }
    this.pump(c);
  }

  killAll(): void {
    for (const c of this.commands.values()) for (const i of c.invocations) if (i.child && i.child.exitCode === null) killGroup(i.child);
  }

  private select(b: Record<string, unknown>): SimInstance[] {
    const ids = (b.InstanceIds as string[] | undefined) ?? [];
    const targets = (b.Targets as Array<{ Key: string; Values: string[] }> | undefined) ?? [];
    if (ids.length > 0) {
      return ids.map((id) => {
        const inst = this.instances.get(id);
        if (!inst || inst.state === 'unmanaged') throw new AwsJsonError('InvalidInstanceId', `Instances [[${id}]] not in a valid state for account`);
        return inst;
      });
    }
    if (targets.length === 0) throw new AwsJsonError('ValidationException', 'InstanceIds or Targets required');
    return [...this.instances.values()].filter((inst) => inst.state !== 'unmanaged' && targets.every((t) => matches(inst, t)));
  }

  /** Starts what MaxConcurrency allows; stops sending once errors pass MaxErrors (the rest: Terminated). */
  private pump(c: Command): void {
    const total = c.invocations.length;
    const maxConcurrency = limitOf(c.request.MaxConcurrency, total, '50', 1);
    const maxErrors = limitOf(c.request.MaxErrors, total, '0', 0);
    if (c.errors > maxErrors) {
      for (const inv of c.invocations) if (inv.status === 'Pending') this.finish(c, inv, 'Cancelled', 'Terminated', -1);
    }
    for (const inv of c.invocations) {
      if (this.running(c) >= maxConcurrency) break;
      if (inv.status === 'Pending' && !this.awaiting.has(inv)) this.start(c, inv);
    }
    c.maxRunning = Math.max(c.maxRunning, this.running(c));
    if (c.invocations.every((i) => TERMINAL.has(i.status))) c.status = aggregateStatus(c);
    else c.status = 'InProgress';
  }

  private running(c: Command): number {
    return c.invocations.filter((i) => IN_FLIGHT.has(i.status) || this.awaiting.has(i)).length;
  }

  private start(c: Command, inv: Invocation): void {
    const inst = this.instances.get(inv.instanceId)!;
    if (inst.state === 'undeliverable') return this.finish(c, inv, 'Failed', 'Undeliverable', -1);
    if (inst.state === 'offline' || inst.state === 'unresponsive') return this.awaitDelivery(c, inv);
    if (inst.state === 'delayed') {
      inv.status = 'Delayed';
      inv.details = 'Delayed';
      setTimeout(() => {
        if (inv.status !== 'Delayed') return;
        this.run(c, inv, inst);
        this.pump(c);
      }, this.options.delayedMs ?? 500).unref();
      return;
    }
    this.run(c, inv, inst);
  }

  /** The instance never picks the command up: Delivery Timed Out after TimeoutSeconds. */
  private awaitDelivery(c: Command, inv: Invocation): void {
    this.awaiting.add(inv);
    setTimeout(() => {
      if (!this.awaiting.has(inv)) return;
      this.finish(c, inv, 'TimedOut', 'Delivery Timed Out', -1);
      this.pump(c);
    }, this.realMs(Number(c.request.TimeoutSeconds ?? 3600))).unref();
  }

  private run(c: Command, inv: Invocation, inst: SimInstance): void {
    inv.status = 'InProgress';
    inv.details = 'In Progress';
    this.events.emit('change', inv, c);
    let child: ChildProcess;
    try {
      child = spawn('bash', ['-c', c.document.commands.join('\n')], {
        cwd: c.document.workingDirectory,
        env: { ...process.env, ...(inst.env ?? {}), SIM_INSTANCE_ID: inst.id },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (error) {
      return this.failToStart(c, inv, error);
    }
    // A workingDirectory that does not exist: the agent fails the invocation, SendCommand was fine.
    child.on('error', (error) => this.failToStart(c, inv, error));
    inv.child = child;
    const uploader = this.uploaderFor(c, inv);
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.setEncoding('utf8').on('data', (d: string) => {
        inv[stream] += d;
        uploader?.append(stream, d);
        this.events.emit('change', inv, c);
      });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, this.realMs(c.document.executionTimeoutSeconds));
    child.on('close', (code) => {
      clearTimeout(timer);
      this.endedAt.set(`${c.id}/${inv.instanceId}`, performance.now());
      // Like the agent: the invocation is final only after its output is uploaded.
      void (uploader?.finish() ?? Promise.resolve()).then(() => {
        if (uploader && uploader.errors.length > 0) inv.stderr += `\nsimulator: CloudWatch upload failed: ${uploader.errors.join('; ')}`;
        this.settle(c, inv, code, timedOut);
      });
    });
  }

  private failToStart(c: Command, inv: Invocation, error: unknown): void {
    if (TERMINAL.has(inv.status)) return;
    inv.stderr += `simulator: could not start the commands (workingDirectory ${c.document.workingDirectory ?? '(none)'}): ${String(error)}\n`;
    this.finish(c, inv, 'Failed', 'Failed', 1);
    this.pump(c);
  }

  private settle(c: Command, inv: Invocation, code: number | null, timedOut: boolean): void {
    if (TERMINAL.has(inv.status)) return; // the command's deadline came first
    const ignoredCancel = this.instances.get(inv.instanceId)?.ignoresCancel;
    if (inv.status === 'Cancelling' && !ignoredCancel) this.finish(c, inv, 'Cancelled', 'Cancelled', -1);
    else if (timedOut) this.finish(c, inv, 'TimedOut', 'Execution Timed Out', 124);
    else if (code === 0) this.finish(c, inv, 'Success', 'Success', 0);
    else this.finish(c, inv, 'Failed', 'Failed', code ?? 1);
    this.pump(c);
  }

  private uploaderFor(c: Command, inv: Invocation): OutputUploader | undefined {
    const config = c.request.CloudWatchOutputConfig as { CloudWatchOutputEnabled?: boolean; CloudWatchLogGroupName?: string } | undefined;
    if (!config?.CloudWatchOutputEnabled || !this.options.logs || this.options.uploadDenied) return undefined;
    const group = config.CloudWatchLogGroupName ?? '/aws/ssm/AWS-RunShellScript';
    return new OutputUploader(this.options.logs, group, `${c.id}/${inv.instanceId}/aws-runShellScript`, this.options.uploadIntervalMs ?? 30_000);
  }

  private finish(c: Command, inv: Invocation, status: string, details: string, code: number): void {
    this.awaiting.delete(inv);
    inv.status = status;
    inv.details = details;
    inv.responseCode = code;
    this.events.emit('change', inv, c);
    // SSM's rule: Failed and Execution Timed Out count toward MaxErrors; delivery problems do not.
    if ((status === 'Failed' && details !== 'Undeliverable') || details === 'Execution Timed Out') c.errors += 1;
  }
}

function matches(inst: SimInstance, t: { Key: string; Values: string[] }): boolean {
  if (t.Key === 'instanceids') return t.Values.includes(inst.id);
  if (t.Key.startsWith('tag:')) return t.Values.includes(inst.tags?.[t.Key.slice(4)] ?? '\u0000');
  if (t.Key === 'tag-key') return t.Values.some((k) => inst.tags?.[k] !== undefined);
  return false;
}

function limitOf(value: unknown, total: number, fallback: string, floor: number): number {
  const s = typeof value === 'string' ? value : fallback;
  return s.endsWith('%') ? Math.max(floor, Math.floor((total * Number(s.slice(0, -1))) / 100)) : Number(s);
}

function aggregateStatus(c: Command): string {
  const statuses = new Set(c.invocations.map((i) => i.status));
  if (statuses.size === 1 && statuses.has('Success')) return 'Success';
  for (const s of ['Failed', 'TimedOut', 'Cancelled']) if (statuses.has(s)) return s;
  return 'Failed';
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
