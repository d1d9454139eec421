// What one SSM step sends: the Targets for tags/resource groups, or the instance ids in batches of 50 with
// rate control kept for the whole run. Pure.
import type { Target as SsmApiTarget } from '@aws-sdk/client-ssm';
import type { SsmTarget } from '../../runbook/model.js';
import { absoluteLimit, MAX_IDS_PER_SEND } from './ssm-limits.js';

export function buildTargets(target: SsmTarget): SsmApiTarget[] {
  const out: SsmApiTarget[] = [];
  for (const [key, value] of Object.entries(target.tags ?? {})) {
    out.push({ Key: `tag:${key}`, Values: Array.isArray(value) ? value : [value] });
  }
  if (target.resourceGroup) out.push({ Key: 'resource-groups:Name', Values: [target.resourceGroup] });
  if (out.length > 5) throw new Error(`SSM target "${target.name}": at most 5 tag/resource-group keys are allowed (got ${out.length}); remove some from the target in the repo config`);
  for (const t of out) {
    if ((t.Values ?? []).length > 50) throw new Error(`SSM target "${target.name}": ${t.Key} has more than 50 values; SSM allows 50 per key`);
  }
  if (out.length === 0) throw new Error(`SSM target "${target.name}": give instance-ids, tags or resource-group in the repo config`);
  return out;
}

export interface SendBatch {
  selector: { InstanceIds: string[] } | { Targets: SsmApiTarget[] };
  MaxConcurrency: string;
}

export interface SendPlan {
  batches: SendBatch[];
  /**
   * Several batches: errors allowed over the whole run, so each batch gets MaxErrors = budget − errors so far.
   * Undefined for a single SendCommand, which takes the target's MaxErrors as written.
   */
  errorBudget?: number;
}

/** More than 50 ids go out as batches one after another; percentages become counts of the whole fleet. */
export function planSends(target: SsmTarget): SendPlan {
  const ids = target.instanceIds ?? [];
  if (ids.length === 0) return { batches: [{ selector: { Targets: buildTargets(target) }, MaxConcurrency: target.maxConcurrency }] };
  if (ids.length <= MAX_IDS_PER_SEND) return { batches: [{ selector: { InstanceIds: [...ids] }, MaxConcurrency: target.maxConcurrency }] };
  const concurrency = String(absoluteLimit(target.maxConcurrency, ids.length, 1));
  const batches: SendBatch[] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_SEND) {
    batches.push({ selector: { InstanceIds: ids.slice(i, i + MAX_IDS_PER_SEND) }, MaxConcurrency: concurrency });
  }
  return { batches, errorBudget: absoluteLimit(target.maxErrors, ids.length, 0) };
}

/** One line for the plan, the audit log and messages. */
export function describeTarget(target: SsmTarget): string {
  const ids = target.instanceIds ?? [];
  const rate = `max-concurrency ${target.maxConcurrency}, max-errors ${target.maxErrors}`;
  if (ids.length > 0) {
    const shown = ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`;
    return `SSM target "${target.name}": ${ids.length} instance(s) ${shown} (${rate})`;
  }
  const selectors = buildTargets(target).map((t) => `${t.Key}=${(t.Values ?? []).join('|')}`);
  return `SSM target "${target.name}": instances matching ${selectors.join(' and ')} (${rate})`;
}
