// The simulator's read operations, answered the way SSM answers them: GetCommandInvocation (output only once
// final, cut at 24,000/8,000 characters), ListCommandInvocations (paginated; [] for the first calls, as the real
// service right after SendCommand: aws-cli#3546), ListCommands and DescribeInstanceInformation.
import { AwsJsonError } from '../smithy-validator.js';
import { TERMINAL, type Command, type CommandEngine, type Invocation, type SimInstance } from './commands.js';

export interface ViewOptions {
  /** Polls of GetCommandInvocation answered InvocationDoesNotExist after SendCommand, per invocation. */
  invocationDoesNotExistPolls?: number;
  /** ListCommandInvocations calls per command answered with an empty list. */
  emptyListCalls?: number;
  /** Invocations SSM never shows (lost in the service): never listed, always InvocationDoesNotExist. */
  hiddenInstances?: string[];
}

export function getCommandInvocation(engine: CommandEngine, options: ViewOptions, b: Record<string, unknown>): unknown {
  const c = engine.commands.get(b.CommandId as string);
  const inv = c?.invocations.find((i) => i.instanceId === b.InstanceId);
  if (!inv || options.hiddenInstances?.includes(inv.instanceId)) throw new AwsJsonError('InvocationDoesNotExist', '');
  inv.polls += 1;
  if (inv.polls <= (options.invocationDoesNotExistPolls ?? 0)) throw new AwsJsonError('InvocationDoesNotExist', '');
  const done = TERMINAL.has(inv.status);
  return {
    CommandId: inv.commandId,
    InstanceId: inv.instanceId,
    Comment: c!.request.Comment ?? '',
    DocumentName: 'AWS-RunShellScript',
    PluginName: 'aws:runShellScript',
    ResponseCode: inv.responseCode,
    Status: inv.status,
    StatusDetails: inv.details,
    StandardOutputContent: done ? [...inv.stdout].slice(0, 24000).join('') : '',
    StandardErrorContent: done ? [...inv.stderr].slice(0, 8000).join('') : '',
    CloudWatchOutputConfig: c!.request.CloudWatchOutputConfig ?? { CloudWatchOutputEnabled: false },
  };
}

export function listCommandInvocations(engine: CommandEngine, options: ViewOptions, b: Record<string, unknown>): unknown {
  const c = engine.commands.get(b.CommandId as string);
  let all = c ? c.invocations : [...engine.commands.values()].flatMap((x) => x.invocations);
  all = all.filter((inv) => !options.hiddenInstances?.includes(inv.instanceId));
  if (c && ++c.listCalls <= (options.emptyListCalls ?? 0)) all = [];
  const start = b.NextToken ? Number(b.NextToken) : 0;
  const max = (b.MaxResults as number | undefined) ?? 50;
  return {
    CommandInvocations: all.slice(start, start + max).map((inv) => ({
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      DocumentName: 'AWS-RunShellScript',
      Status: inv.status,
      StatusDetails: inv.details,
      RequestedDateTime: inv.requested,
      ...(b.Details ? { CommandPlugins: [pluginView(inv)] } : {}),
    })),
    ...(start + max < all.length ? { NextToken: String(start + max) } : {}),
  };
}

function pluginView(inv: Invocation): Record<string, unknown> {
  return {
    Name: 'aws:runShellScript',
    Status: inv.status,
    StatusDetails: inv.details,
    ResponseCode: inv.responseCode,
    Output: [...(inv.stdout + inv.stderr)].slice(0, 2500).join(''),
  };
}

/** CommandId, or every command (newest first) narrowed by Filters; 50 a page by default. */
export function listCommands(engine: CommandEngine, b: Record<string, unknown>): unknown {
  if (b.CommandId) {
    const c = engine.commands.get(b.CommandId as string);
    if (!c) throw new AwsJsonError('InvalidCommandId', '');
    return { Commands: [describeCommand(c)] };
  }
  const filters = (b.Filters as Array<{ key: string; value: string }> | undefined) ?? [];
  const list = [...engine.commands.values()].reverse().filter((c) => filters.every((f) => commandMatches(c, f)));
  const start = b.NextToken ? Number(b.NextToken) : 0;
  const max = (b.MaxResults as number | undefined) ?? 50;
  return {
    Commands: list.slice(start, start + max).map(describeCommand),
    ...(start + max < list.length ? { NextToken: String(start + max) } : {}),
  };
}

function commandMatches(c: Command, f: { key: string; value: string }): boolean {
  switch (f.key) {
    case 'InvokedAfter':
    case 'InvokedBefore': {
      const at = Date.parse(f.value);
      if (Number.isNaN(at)) throw new AwsJsonError('InvalidFilterValue', `${f.key} needs a timestamp like 2024-07-07T00:00:00Z, got ${f.value}`);
      return f.key === 'InvokedAfter' ? c.requested * 1000 >= at : c.requested * 1000 <= at;
    }
    case 'DocumentName':
      return c.request.DocumentName === f.value;
    case 'Status':
      return c.status === f.value;
    default:
      throw new AwsJsonError('InvalidFilterKey', `the simulator does not support ListCommands filter ${f.key}`);
  }
}

export function describeCommand(c: Command): Record<string, unknown> {
  const count = (pred: (i: Invocation) => boolean): number => c.invocations.filter(pred).length;
  return {
    CommandId: c.id,
    DocumentName: c.request.DocumentName,
    Comment: c.request.Comment ?? '',
    Status: c.status,
    StatusDetails: c.invocations.length === 0 ? 'No Instances In Tag' : c.status === 'InProgress' ? 'In Progress' : c.status,
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
    ExpiresAfter: c.expiresAt / 1000,
  };
}

/** Filters: InstanceIds, PingStatus, tag:<key>, tag-key (tag filters cannot be mixed with others, as in SSM). */
export function describeInstanceInformation(engine: CommandEngine, b: Record<string, unknown>): unknown {
  const filters = (b.Filters as Array<{ Key: string; Values: string[] }> | undefined) ?? [];
  const tagFilters = filters.filter((f) => f.Key.startsWith('tag:') || f.Key === 'tag-key');
  if (tagFilters.length > 0 && tagFilters.length < filters.length) {
    throw new AwsJsonError('InvalidFilterKey', 'Tag filters cannot be combined with other filter types');
  }
  let list = [...engine.instances.values()].filter((inst) => inst.state !== 'unmanaged');
  for (const f of filters) list = list.filter((inst) => instanceMatches(inst, f));
  const start = b.NextToken ? Number(b.NextToken) : 0;
  const max = (b.MaxResults as number | undefined) ?? 50;
  return {
    InstanceInformationList: list.slice(start, start + max).map((inst) => ({
      InstanceId: inst.id,
      PingStatus: pingStatus(inst),
      LastPingDateTime: Date.now() / 1000 - (inst.state === 'offline' ? 3600 : 10),
      AgentVersion: '3.3.0.0',
      IsLatestVersion: true,
      PlatformType: 'Linux',
      PlatformName: 'Simulated Linux',
      ResourceType: 'EC2Instance',
    })),
    ...(start + max < list.length ? { NextToken: String(start + max) } : {}),
  };
}

function pingStatus(inst: SimInstance): string {
  return inst.state === 'offline' ? 'ConnectionLost' : 'Online';
}

function instanceMatches(inst: SimInstance, f: { Key: string; Values: string[] }): boolean {
  if (f.Key === 'InstanceIds') return f.Values.includes(inst.id);
  if (f.Key === 'PingStatus') return f.Values.includes(pingStatus(inst));
  if (f.Key === 'tag-key') return f.Values.some((k) => inst.tags?.[k] !== undefined);
  if (f.Key.startsWith('tag:')) return f.Values.includes(inst.tags?.[f.Key.slice(4)] ?? '\u0000');
  throw new AwsJsonError('InvalidFilterKey', `the simulator does not support filter ${f.Key}`);
}
