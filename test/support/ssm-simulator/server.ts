// Loopback SSM Run Command simulator speaking awsJson1_1 (X-Amz-Target: AmazonSSM.*). Every request is checked
// against the official Smithy model; AWS-RunShellScript commands really run with bash per simulated instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AddressInfo } from 'node:net';
import {
  AwsJsonError,
  loadServiceModel,
  readAwsJsonRequest,
  sendAwsJson,
  sendAwsJsonError,
  validateInput,
} from '../smithy-validator.js';

const model = loadServiceModel('/work/shared/aws-models/ssm-2014-11-06.json');

export interface SimInstance {
  id: string;
  tags?: Record<string, string>;
  /** offline: never answers (Delivery Timed Out); unmanaged: InvalidInstanceId. */
  state?: 'online' | 'offline' | 'unmanaged';
  /** Extra environment for commands on this instance. */
  env?: Record<string, string>;
}

export interface SimOptions {
  instances: SimInstance[];
  /** Polls of GetCommandInvocation answered InvocationDoesNotExist after SendCommand. */
  invocationDoesNotExistPolls?: number;
  /** Simulated seconds per real second for the delivery timeout (e.g. 100 → 30 s becomes 0.3 s). */
  deliveryTimeScale?: number;
  /** Throttle every Nth request with ThrottlingException (0 = never). */
  throttleEvery?: number;
  /** Where CloudWatchOutputConfig output goes (a client pointed at moto_server). Without it, output is not uploaded. */
  logs?: CloudWatchLogsClient;
}

interface Invocation {
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

interface Command {
  id: string;
  request: Record<string, unknown>;
  invocations: Invocation[];
  status: string;
  errors: number;
  requested: number;
}

export interface SsmSimulator {
  endpoint: string;
  /** Requests that failed model validation: a test asserting on these must expect []. */
  violations: string[];
  /** Count of accepted (not throttled, valid) requests per operation. */
  calls: Map<string, number>;
  commands: Map<string, Command>;
  /** Wall time (ms, performance.now) when each invocation's process ended, for benches. */
  endedAt: Map<string, number>;
  close(): Promise<void>;
}

const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

export async function startSsmSimulator(options: SimOptions): Promise<SsmSimulator> {
  const instances = new Map(options.instances.map((i) => [i.id, i]));
  const commands = new Map<string, Command>();
  const violations: string[] = [];
  const calls = new Map<string, number>();
  const endedAt = new Map<string, number>();
  let requestCount = 0;

  const handlers: Record<string, (body: Record<string, unknown>) => unknown> = {
    SendCommand: (b) => sendCommand(b),
    GetCommandInvocation: (b) => getInvocation(b),
    ListCommandInvocations: (b) => listInvocations(b),
    ListCommands: (b) => listCommands(b),
    CancelCommand: (b) => cancelCommand(b),
  };

  function matchTargets(targets: Array<{ Key: string; Values: string[] }>): SimInstance[] {
    return [...instances.values()].filter((inst) =>
      targets.every((t) => {
        if (t.Key === 'instanceids') return t.Values.includes(inst.id);
        if (t.Key.startsWith('tag:')) return t.Values.includes(inst.tags?.[t.Key.slice(4)] ?? '\u0000');
        if (t.Key === 'tag-key') return t.Values.some((k) => inst.tags?.[k] !== undefined);
        return false;
      }),
    ).filter((i) => i.state !== 'unmanaged');
  }

  function sendCommand(b: Record<string, unknown>): unknown {
    if (b.DocumentName !== 'AWS-RunShellScript') throw new AwsJsonError('InvalidDocument', 'unsupported document');
    const ids = (b.InstanceIds as string[] | undefined) ?? [];
    const targets = (b.Targets as Array<{ Key: string; Values: string[] }> | undefined) ?? [];
    let selected: SimInstance[];
    if (ids.length > 0) {
      selected = ids.map((id) => {
        const inst = instances.get(id);
        if (!inst || inst.state === 'unmanaged') throw new AwsJsonError('InvalidInstanceId', `Instances [[${id}]] not in a valid state for account`);
        return inst;
      });
    } else if (targets.length > 0) {
      selected = matchTargets(targets);
    } else {
      throw new AwsJsonError('ValidationException', 'InstanceIds or Targets required');
    }
    const now = Date.now() / 1000;
    const id = randomUUID();
    const command: Command = {
      id,
      request: b,
      status: 'Pending',
      errors: 0,
      requested: now,
      invocations: selected.map((inst) => ({
        commandId: id,
        instanceId: inst.id,
        status: 'Pending',
        details: 'Pending',
        responseCode: -1,
        stdout: '',
        stderr: '',
        requested: now,
        polls: 0,
      })),
    };
    commands.set(id, command);
    if (command.invocations.length === 0) command.status = 'Success';
    schedule(command);
    return { Command: describeCommand(command) };
  }

  function describeCommand(c: Command): Record<string, unknown> {
    const count = (pred: (i: Invocation) => boolean): number => c.invocations.filter(pred).length;
    return {
      CommandId: c.id,
      DocumentName: c.request.DocumentName,
      Comment: c.request.Comment ?? '',
      Status: c.status,
      StatusDetails: c.status === 'Success' && c.invocations.length === 0 ? 'No Instances In Tag' : c.status,
      Parameters: c.request.Parameters,
      InstanceIds: c.request.InstanceIds ?? [],
      Targets: c.request.Targets ?? [],
      RequestedDateTime: c.requested,
      MaxConcurrency: c.request.MaxConcurrency ?? '50',
      MaxErrors: c.request.MaxErrors ?? '0',
      TargetCount: c.invocations.length,
      CompletedCount: count((i) => TERMINAL.has(i.status)),
      ErrorCount: c.errors,
      DeliveryTimedOutCount: count((i) => i.details === 'Delivery Timed Out'),
      TimeoutSeconds: c.request.TimeoutSeconds ?? 3600,
    };
  }

  function limitOf(value: unknown, total: number, fallback: number): number {
    const s = typeof value === 'string' ? value : String(fallback);
    return s.endsWith('%') ? Math.max(1, Math.floor((total * Number(s.slice(0, -1))) / 100)) : Number(s);
  }

  function schedule(c: Command): void {
    const total = c.invocations.length;
    const maxConc = limitOf(c.request.MaxConcurrency, total, 50);
    const maxErrors = limitOf(c.request.MaxErrors, total, 0);
    const running = (): number => c.invocations.filter((i) => i.status === 'InProgress' || i.details === 'Awaiting').length;
    const pump = (): void => {
      if (c.errors > maxErrors) {
        for (const inv of c.invocations) {
          if (inv.status === 'Pending') finish(inv, 'Cancelled', 'Terminated', -1);
        }
      }
      for (const inv of c.invocations) {
        if (running() >= maxConc) break;
        if (inv.status !== 'Pending') continue;
        start(inv);
      }
      if (c.invocations.every((i) => TERMINAL.has(i.status)) && !TERMINAL.has(c.status)) {
        const statuses = c.invocations.map((i) => i.status);
        c.status = statuses.every((s) => s === 'Success') ? 'Success' : statuses.includes('Failed') ? 'Failed' : statuses.includes('TimedOut') ? 'TimedOut' : statuses.includes('Cancelled') ? 'Cancelled' : 'Failed';
      }
    };
    const start = (inv: Invocation): void => {
      const inst = instances.get(inv.instanceId)!;
      const params = c.request.Parameters as Record<string, string[]>;
      if (inst.state === 'offline') {
        inv.details = 'Awaiting';
        const seconds = Number(c.request.TimeoutSeconds ?? 3600);
        setTimeout(() => {
          if (inv.status === 'Pending') finish(inv, 'TimedOut', 'Delivery Timed Out', -1);
          pump();
        }, (seconds * 1000) / (options.deliveryTimeScale ?? 1)).unref();
        return;
      }
      inv.status = 'InProgress';
      inv.details = 'In Progress';
      const script = params.commands.join('\n');
      const child = spawn('bash', ['-c', script], {
        cwd: params.workingDirectory?.[0] || undefined,
        env: { ...process.env, ...(inst.env ?? {}), SIM_INSTANCE_ID: inst.id },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      inv.child = child;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (inv.stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (inv.stderr += d));
      const timeoutMs = Number(params.executionTimeout?.[0] ?? 3600) * 1000;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        endedAt.set(`${c.id}/${inv.instanceId}`, performance.now());
        uploadOutput(c, inv)
          .catch((error: unknown) => (inv.stderr += `\nsimulator: CloudWatch upload failed: ${String(error)}`))
          .finally(() => settle(code));
      });
      const settle = (code: number | null): void => {
        if (inv.status === 'Cancelling' || inv.status === 'Cancelled') finish(inv, 'Cancelled', 'Cancelled', -1);
        else if (timedOut) finish(inv, 'TimedOut', 'Execution Timed Out', 124);
        else if (code === 0) finish(inv, 'Success', 'Success', 0);
        else finish(inv, 'Failed', 'Failed', code ?? 1);
        pump();
      };
    };
    const finish = (inv: Invocation, status: string, details: string, code: number): void => {
      inv.status = status;
      inv.details = details;
      inv.responseCode = code;
      if (status === 'Failed' || details === 'Execution Timed Out') c.errors += 1;
    };
    c.status = total > 0 ? 'InProgress' : c.status;
    pump();
  }

  /** Like the agent: streams CommandID/InstanceID/aws-runShellScript/stdout|stderr, created only when there is data. */
  async function uploadOutput(c: Command, inv: Invocation): Promise<void> {
    const config = c.request.CloudWatchOutputConfig as
      | { CloudWatchOutputEnabled?: boolean; CloudWatchLogGroupName?: string }
      | undefined;
    if (!config?.CloudWatchOutputEnabled || !options.logs) return;
    const group = config.CloudWatchLogGroupName ?? '/aws/ssm/AWS-RunShellScript';
    await options.logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch((error: { name?: string }) => {
      if (error.name !== 'ResourceAlreadyExistsException') throw error;
    });
    for (const [name, text] of [['stdout', inv.stdout], ['stderr', inv.stderr]] as const) {
      if (text === '') continue;
      const stream = `${c.id}/${inv.instanceId}/aws-runShellScript/${name}`;
      await options.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      // Events of up to 16,000 chars, batches of up to 50 events, like the agent's buffered uploads.
      const events: Array<{ timestamp: number; message: string }> = [];
      for (let i = 0; i < text.length; i += 16000) events.push({ timestamp: Date.now(), message: text.slice(i, i + 16000) });
      for (let i = 0; i < events.length; i += 50) {
        await options.logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events.slice(i, i + 50) }));
      }
    }
  }

  function findInvocation(b: Record<string, unknown>): Invocation {
    const c = commands.get(b.CommandId as string);
    const inv = c?.invocations.find((i) => i.instanceId === b.InstanceId);
    if (!inv) throw new AwsJsonError('InvocationDoesNotExist', '');
    return inv;
  }

  function getInvocation(b: Record<string, unknown>): unknown {
    const inv = findInvocation(b);
    inv.polls += 1;
    if (inv.polls <= (options.invocationDoesNotExistPolls ?? 0)) throw new AwsJsonError('InvocationDoesNotExist', '');
    const done = TERMINAL.has(inv.status);
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      PluginName: 'aws:runShellScript',
      ResponseCode: inv.responseCode,
      Status: inv.status,
      StatusDetails: inv.details === 'Awaiting' ? 'Pending' : inv.details,
      StandardOutputContent: done ? [...inv.stdout].slice(0, 24000).join('') : '',
      StandardErrorContent: done ? [...inv.stderr].slice(0, 8000).join('') : '',
      CloudWatchOutputConfig: commands.get(inv.commandId)!.request.CloudWatchOutputConfig ?? { CloudWatchOutputEnabled: false },
    };
  }

  function listInvocations(b: Record<string, unknown>): unknown {
    const c = commands.get(b.CommandId as string);
    const all = c ? c.invocations : [...commands.values()].flatMap((x) => x.invocations);
    const start = b.NextToken ? Number(b.NextToken) : 0;
    const max = (b.MaxResults as number | undefined) ?? 50;
    const page = all.slice(start, start + max);
    return {
      CommandInvocations: page.map((inv) => ({
        CommandId: inv.commandId,
        InstanceId: inv.instanceId,
        Status: inv.status,
        StatusDetails: inv.details === 'Awaiting' ? 'Pending' : inv.details,
        RequestedDateTime: inv.requested,
        ...(b.Details
          ? {
              CommandPlugins: [
                {
                  Name: 'aws:runShellScript',
                  Status: inv.status,
                  StatusDetails: inv.details === 'Awaiting' ? 'Pending' : inv.details,
                  ResponseCode: inv.responseCode,
                  Output: [...(inv.stdout + inv.stderr)].slice(0, 2500).join(''),
                },
              ],
            }
          : {}),
      })),
      ...(start + max < all.length ? { NextToken: String(start + max) } : {}),
    };
  }

  function listCommands(b: Record<string, unknown>): unknown {
    const list = b.CommandId ? [commands.get(b.CommandId as string)].filter((c) => c !== undefined) : [...commands.values()];
    if (b.CommandId && list.length === 0) throw new AwsJsonError('InvalidCommandId', '');
    return { Commands: list.map(describeCommand) };
  }

  function cancelCommand(b: Record<string, unknown>): unknown {
    const c = commands.get(b.CommandId as string);
    if (!c) throw new AwsJsonError('InvalidCommandId', '');
    const only = b.InstanceIds as string[] | undefined;
    for (const inv of c.invocations) {
      if (only && !only.includes(inv.instanceId)) continue;
      if (inv.status === 'InProgress') {
        inv.status = 'Cancelling';
        inv.details = 'Cancelling';
        if (inv.child) killGroup(inv.child);
      } else if (inv.status === 'Pending') {
        inv.status = 'Cancelled';
        inv.details = 'Cancelled';
      }
    }
    return {};
  }

  const server: Server = createServer((req, res) => {
    readAwsJsonRequest(req, 'AmazonSSM')
      .then(({ operation, body }) => {
        requestCount += 1;
        const problems = validateInput(model, operation, body);
        if (problems.length > 0) {
          violations.push(...problems.map((p) => `${operation} ${p}`));
          throw new AwsJsonError('ValidationException', problems.join('; '));
        }
        if (options.throttleEvery && requestCount % options.throttleEvery === 0) {
          throw new AwsJsonError('ThrottlingException', 'Rate exceeded');
        }
        calls.set(operation, (calls.get(operation) ?? 0) + 1);
        const handler = handlers[operation];
        if (!handler) throw new AwsJsonError('UnknownOperationException', operation);
        sendAwsJson(res, 200, handler(body as Record<string, unknown>));
      })
      .catch((error: unknown) => {
        if (error instanceof AwsJsonError) sendAwsJsonError(res, error.type, error.message, error.status);
        else sendAwsJsonError(res, 'InternalServerError', String(error), 500);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    violations,
    calls,
    commands,
    endedAt,
    close: async () => {
      for (const c of commands.values()) for (const i of c.invocations) if (i.child && i.child.exitCode === null) killGroup(i.child);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
