// Resolves an SSM target before anything runs, with DescribeInstanceInformation: instance ids must be managed
// by SSM and online (else fail now, with the ids and the fix); tags are resolved to the instances they match.
// Resource groups cannot be listed through SSM, so SSM resolves those when the command is sent.
import {
  DescribeInstanceInformationCommand,
  type InstanceInformation,
  type InstanceInformationStringFilter,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { ResolvedTarget } from '../../ports/executor.js';
import type { SsmTarget } from '../../runbook/model.js';
import { errorText } from '../../run/error-text.js';
import { MAX_IDS_PER_SEND } from './ssm-limits.js';
import { buildTargets, describeTarget } from './ssm-targets.js';

export async function resolveSsmTarget(ssm: SSMClient, target: SsmTarget, signal: AbortSignal): Promise<ResolvedTarget> {
  const ids = target.instanceIds ?? [];
  if (ids.length > 0) return resolveInstanceIds(ssm, target, ids, signal);
  buildTargets(target); // checks the selector limits before anything else
  if (target.resourceGroup) {
    return { description: `${describeTarget(target)}; SSM resolves the resource group when each step is sent`, members: [] };
  }
  return resolveTags(ssm, target, signal);
}

async function resolveInstanceIds(ssm: SSMClient, target: SsmTarget, ids: string[], signal: AbortSignal): Promise<ResolvedTarget> {
  const found = new Map<string, InstanceInformation>();
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_SEND) {
    const chunk = ids.slice(i, i + MAX_IDS_PER_SEND);
    const listed = await describeInstances(ssm, target, [{ Key: 'InstanceIds', Values: chunk }], signal, chunk);
    for (const info of listed) if (info.InstanceId) found.set(info.InstanceId, info);
  }
  const unmanaged = ids.filter((id) => !found.has(id));
  const offline = ids.filter((id) => found.has(id) && found.get(id)!.PingStatus !== 'Online');
  const problems: string[] = [];
  if (unmanaged.length > 0) {
    problems.push(`not managed by SSM in this account and region: ${unmanaged.join(', ')} (check the id and region, that the SSM agent runs, and that the instance profile has AmazonSSMManagedInstanceCore)`);
  }
  if (offline.length > 0) {
    problems.push(`offline: ${offline.map((id) => pingText(id, found.get(id)!)).join(', ')} (start the instance or its SSM agent, or remove it from instance-ids)`);
  }
  if (problems.length > 0) throw new Error(`SSM target "${target.name}": nothing ran; instances ${problems.join('; ')}`);
  return { description: describeTarget(target), members: [...ids] };
}

async function resolveTags(ssm: SSMClient, target: SsmTarget, signal: AbortSignal): Promise<ResolvedTarget> {
  const filters = Object.entries(target.tags ?? {}).map(([key, value]) => ({ Key: `tag:${key}`, Values: Array.isArray(value) ? value : [value] }));
  const listed = await describeInstances(ssm, target, filters, signal);
  const members = listed.map((info) => info.InstanceId).filter((id): id is string => id !== undefined);
  if (members.length === 0) {
    throw new Error(`SSM target "${target.name}": nothing ran; no instance managed by SSM matches ${filters.map((f) => `${f.Key}=${f.Values.join('|')}`).join(' and ')}. Check the tags in the repo config, the region, and that the instances run the SSM agent.`);
  }
  const offline = listed.filter((info) => info.PingStatus !== 'Online');
  const offlineText = offline.length > 0 ? `; ${offline.length} offline (SSM will time out delivering to them): ${offline.map((info) => info.InstanceId).join(', ')}` : '';
  return { description: `${describeTarget(target)}: ${members.length} instance(s) now${offlineText}`, members };
}

async function describeInstances(
  ssm: SSMClient,
  target: SsmTarget,
  filters: InstanceInformationStringFilter[],
  signal: AbortSignal,
  ids?: string[],
): Promise<InstanceInformation[]> {
  const out: InstanceInformation[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await ssm.send(new DescribeInstanceInformationCommand({ Filters: filters, MaxResults: 50, NextToken: token }), { abortSignal: signal });
      out.push(...(page.InstanceInformationList ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw new Error(explainDescribeError(error, target, ids), { cause: error });
  }
  return out;
}

function explainDescribeError(error: unknown, target: SsmTarget, ids: string[] | undefined): string {
  const name = (error as { name?: string }).name;
  const prefix = `SSM target "${target.name}": nothing ran; could not check the instances`;
  if (name === 'AccessDeniedException') {
    return `${prefix} (AccessDenied on ssm:DescribeInstanceInformation): allow it for the workflow's role (opsgate checks the instances before anything runs)`;
  }
  if (name === 'InvalidInstanceId' && ids) {
    return `${prefix}: SSM does not know some of ${ids.join(', ')} (${errorText(error)}); check instance-ids and the region`;
  }
  return `${prefix}: ${errorText(error)}`;
}

function pingText(id: string, info: InstanceInformation): string {
  const last = info.LastPingDateTime ? `, last seen ${info.LastPingDateTime.toISOString()}` : '';
  return `${id} (PingStatus ${info.PingStatus ?? 'unknown'}${last})`;
}
