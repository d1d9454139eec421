// StepExecutor for SSM Run Command (AWS-RunShellScript). Clients are handed in by the composition root.
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type SSMClient,
  type Target as SsmApiTarget,
} from '@aws-sdk/client-ssm';
import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Database, SsmTarget, Step } from '../../runbook/model.js';
import type { ResolvedTarget, StepContext, StepExecutor, StepResult, TargetResult } from '../../ports/executor.js';
import { renderStepScript } from '../../run/step-script.js';
import { mapInvocationStatus, REFUSED_REBOOT_EXIT, TERMINAL_STATUSES } from './ssm-status.js';

export interface SsmExecutorOptions {
  ssm: SSMClient;
  logs?: CloudWatchLogsClient;
  target: SsmTarget;
  /** "opsgate owner/repo#12" — prefixed to the step name in Comment (cut to 100 chars). */
  commentPrefix?: string;
  /** Delivery timeout (SendCommand TimeoutSeconds), default 600. */
  deliveryTimeoutSeconds?: number;
  renderScript?: (step: Step, database?: Database) => string;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First poll delay and cap in ms (defaults 150 / 10,000). */
  pollStartMs?: number;
  pollCapMs?: number;
}

const MAX_IDS_PER_SEND = 50;

/** Wraps the step script so reboot-and-rerun exit codes never reach the agent. */
export function wrapScriptForSsm(script: string): string[] {
  const encoded = Buffer.from(script, 'utf8').toString('base64');
  return [
    'set -u',
    `printf '%s' '${encoded}' | base64 -d > "\${TMPDIR:-/tmp}/opsgate-step.$$.sh"`,
    'bash "${TMPDIR:-/tmp}/opsgate-step.$$.sh"; rc=$?',
    'rm -f "${TMPDIR:-/tmp}/opsgate-step.$$.sh"',
    `if [ "$rc" -eq 194 ] || [ "$rc" -eq 3010 ]; then echo "opsgate: exit code $rc would make the SSM agent reboot and rerun the script; refused (reported as ${REFUSED_REBOOT_EXIT})" >&2; exit ${REFUSED_REBOOT_EXIT}; fi`,
    'exit "$rc"',
  ];
}

export function buildTargets(target: SsmTarget): SsmApiTarget[] {
  const out: SsmApiTarget[] = [];
  for (const [key, value] of Object.entries(target.tags ?? {})) {
    out.push({ Key: `tag:${key}`, Values: Array.isArray(value) ? value : [value] });
  }
  if (target.resourceGroup) out.push({ Key: 'resource-groups:Name', Values: [target.resourceGroup] });
  if (out.length > 5) throw new Error(`SSM target "${target.name}": at most 5 tag/resource-group keys are allowed (got ${out.length})`);
  for (const t of out) {
    if ((t.Values ?? []).length > 50) throw new Error(`SSM target "${target.name}": ${t.Key} has more than 50 values`);
  }
  return out;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

interface FetchedOutput {
  chunks: Array<['stdout' | 'stderr', string]>;
}

interface Tracked {
  commandId: string;
  instanceId: string;
  status: string;
  details: string;
  code: number;
  /** GetCommandInvocation's (possibly truncated) output when the poll already fetched it. */
  output?: { out: string; err: string };
}

export function createSsmExecutor(options: SsmExecutorOptions): StepExecutor {
  const { ssm, target } = options;
  const sleep = options.sleep ?? defaultSleep;
  return {
    async prepare(): Promise<ResolvedTarget> {
      if (target.instanceIds && target.instanceIds.length > 0) {
        return { description: `SSM instances ${target.instanceIds.join(', ')}`, members: [...target.instanceIds] };
      }
      const targets = buildTargets(target);
      if (targets.length === 0) throw new Error(`SSM target "${target.name}": give instance-ids, tags or resource-group`);
      return { description: `SSM instances matching ${targets.map((t) => `${t.Key}=${(t.Values ?? []).join('|')}`).join(', ')}`, members: [] };
    },
    async runStep(step: Step, context: StepContext): Promise<StepResult> {
      const script = (options.renderScript ?? renderStepScript)(step, context.database);
      const commandIds = await send(step, script);
      const tracked = await waitForAll(commandIds, step, context);
      if (tracked.length === 0) {
        return { status: 'error', exitCode: null, message: `no instances matched the target "${target.name}" (check the tags and that the instances are managed by SSM)`, perTarget: [] };
      }
      const perTarget: TargetResult[] = [];
      // Fetch outputs ten at a time but emit them in instance order.
      const fetched = new Map<Tracked, Promise<FetchedOutput>>();
      const fetchAhead = (i: number): void => {
        const t = tracked[i];
        if (t && !fetched.has(t)) fetched.set(t, fetchOutput(t));
      };
      for (let i = 0; i < Math.min(10, tracked.length); i++) fetchAhead(i);
      for (const [i, t] of tracked.entries()) {
        fetchAhead(i + 10);
        await emitOutput(t, await fetched.get(t)!, context);
        const outcome = mapInvocationStatus(t.status, t.details, t.code, step.timeoutSeconds);
        perTarget.push({ id: t.instanceId, status: outcome.status, exitCode: t.code >= 0 ? t.code : null, message: outcome.message });
      }
      const stillRunning = tracked.filter((t) => !TERMINAL_STATUSES.has(t.status)).map((t) => t.instanceId);
      return summarize(perTarget, context.signal.aborted, stillRunning);
    },
    async dispose(): Promise<void> {},
  };

  async function send(step: Step, script: string): Promise<string[]> {
    const base = {
      DocumentName: 'AWS-RunShellScript',
      Comment: `${options.commentPrefix ?? 'opsgate'} ${step.name}`.slice(0, 100),
      TimeoutSeconds: Math.max(30, options.deliveryTimeoutSeconds ?? 600),
      MaxConcurrency: target.maxConcurrency,
      MaxErrors: target.maxErrors,
      Parameters: {
        commands: wrapScriptForSsm(script),
        executionTimeout: [String(Math.min(172800, Math.max(1, step.timeoutSeconds)))],
        // No SSM workingDirectory: the step script changes directory itself (relative paths would apply twice).
      },
      ...(target.outputLogGroup
        ? { CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: target.outputLogGroup } }
        : {}),
    };
    const batches: Array<{ InstanceIds?: string[]; Targets?: SsmApiTarget[] }> = [];
    if (target.instanceIds && target.instanceIds.length > 0) {
      for (let i = 0; i < target.instanceIds.length; i += MAX_IDS_PER_SEND) {
        batches.push({ InstanceIds: target.instanceIds.slice(i, i + MAX_IDS_PER_SEND) });
      }
    } else {
      batches.push({ Targets: buildTargets(target) });
    }
    const ids: string[] = [];
    for (const batch of batches) {
      try {
        const out = await ssm.send(new SendCommandCommand({ ...base, ...batch }));
        ids.push(out.Command!.CommandId!);
      } catch (error) {
        throw explainSendError(error, target);
      }
    }
    return ids;
  }

  async function pollSingle(commandId: string, instanceId: string): Promise<Tracked[]> {
    try {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      const tracked: Tracked = {
        commandId,
        instanceId,
        status: r.Status ?? 'Pending',
        details: r.StatusDetails ?? '',
        code: r.ResponseCode ?? -1,
      };
      if (TERMINAL_STATUSES.has(tracked.status)) {
        tracked.output = { out: r.StandardOutputContent ?? '', err: r.StandardErrorContent ?? '' };
      }
      return [tracked];
    } catch (error) {
      if ((error as { name?: string }).name === 'InvocationDoesNotExist') return [];
      throw error;
    }
  }

  async function listInvocations(commandId: string): Promise<Tracked[]> {
    const out: Tracked[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken: token }));
      for (const inv of page.CommandInvocations ?? []) {
        out.push({
          commandId,
          instanceId: inv.InstanceId ?? '?',
          status: inv.Status ?? 'Pending',
          details: inv.StatusDetails ?? '',
          code: inv.CommandPlugins?.[0]?.ResponseCode ?? -1,
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** Polls ListCommandInvocations (one call covers 50 instances): fast first, then backing off to a cap. */
  async function waitForAll(commandIds: string[], step: Step, context: StepContext): Promise<Tracked[]> {
    let delay = options.pollStartMs ?? 150;
    const cap = options.pollCapMs ?? 10_000;
    let emptyPolls = 0;
    let cancelled = false;
    // One instance: GetCommandInvocation is the poll and its last answer already carries the output.
    const single = commandIds.length === 1 && target.instanceIds?.length === 1 ? target.instanceIds[0] : undefined;
    for (;;) {
      await sleep(delay, context.signal);
      if (context.signal.aborted && !cancelled) {
        cancelled = true;
        await Promise.allSettled(commandIds.map((id) => ssm.send(new CancelCommandCommand({ CommandId: id }))));
      }
      const all = single ? await pollSingle(commandIds[0]!, single) : (await Promise.all(commandIds.map(listInvocations))).flat();
      // Eventual consistency: the list can be empty just after SendCommand.
      if (all.length === 0 && emptyPolls++ < 10) continue;
      if (all.every((t) => TERMINAL_STATUSES.has(t.status))) return all;
      if (cancelled && delay >= 2000) return all; // do not wait forever for a cancel SSM cannot guarantee
      delay = Math.min(cap, delay * 2);
      void step;
    }
  }

  /** Reads the full output from CloudWatch when configured, else GetCommandInvocation's truncated copy. */
  async function fetchOutput(t: Tracked): Promise<FetchedOutput> {
    // Never-started invocations (Terminated, delivery timeout, cancelled while pending) have no output.
    if (t.code < 0 && t.status !== 'Success') return { chunks: [] };
    const group = target.outputLogGroup;
    if (group && options.logs) {
      try {
        const chunks: FetchedOutput['chunks'] = [];
        let missing = 0;
        for (const stream of ['stdout', 'stderr'] as const) {
          // The agent creates a stream only when there is data: a missing stream is an empty one.
          await readStream(group, `${t.commandId}/${t.instanceId}/aws-runShellScript/${stream}`, async (text) => {
            chunks.push([stream, text]);
          }).catch((error: { name?: string }) => {
            if (error.name !== 'ResourceNotFoundException') throw error;
            missing += 1;
          });
        }
        // Both missing: maybe the agent could not write the group at all; fall back to the truncated copy.
        if (missing < 2) return { chunks };
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== 'ResourceNotFoundException' && name !== 'AccessDeniedException') throw error;
      }
    }
    const inv = t.output ?? (await getInvocationWithRetry(t));
    if (!inv) return { chunks: [] };
    const chunks: FetchedOutput['chunks'] = [
      ['stdout', inv.out],
      ['stderr', inv.err],
    ];
    if (inv.out.length >= 24000 || inv.err.length >= 8000) {
      const where = group
        ? `CloudWatch Logs group ${group}, streams ${t.commandId}/${t.instanceId}/aws-runShellScript/*`
        : 'nowhere (set output-log-group on the target to keep full output)';
      chunks.push(['stderr', `\nopsgate: output above is truncated by SSM (24,000/8,000 chars); full copy: ${where}\n`]);
    }
    return { chunks };
  }

  async function emitOutput(_t: Tracked, output: FetchedOutput, context: StepContext): Promise<void> {
    for (const [stream, text] of output.chunks) {
      if (text !== '') await context.onOutput(stream, Buffer.from(text, 'utf8'));
    }
  }

  async function getInvocationWithRetry(t: Tracked): Promise<{ out: string; err: string } | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: t.commandId, InstanceId: t.instanceId }));
        return { out: r.StandardOutputContent ?? '', err: r.StandardErrorContent ?? '' };
      } catch (error) {
        if ((error as { name?: string }).name !== 'InvocationDoesNotExist') throw error;
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
    return undefined;
  }

  async function readStream(group: string, stream: string, emit: (text: string) => Promise<void>): Promise<void> {
    if (!options.logs) return;
    let token: string | undefined;
    for (;;) {
      const page = await options.logs.send(
        new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token }),
      );
      for (const e of page.events ?? []) await emit(e.message ?? '');
      if (!page.nextForwardToken || page.nextForwardToken === token) return;
      token = page.nextForwardToken;
    }
  }
}

function summarize(perTarget: TargetResult[], aborted: boolean, stillRunning: string[]): StepResult {
  const order = ['error', 'timed-out', 'failed', 'cancelled'] as const;
  const worst = order.find((s) => perTarget.some((t) => t.status === s));
  const single = perTarget.length === 1 ? perTarget[0] : undefined;
  if (aborted) {
    // SSM does not guarantee a cancel stops the process: name what had not reached a final status.
    const maybeRunning = stillRunning;
    return {
      status: 'cancelled',
      exitCode: single?.exitCode ?? null,
      message: `cancelled; CancelCommand sent${maybeRunning.length > 0 ? `, may still be running on: ${maybeRunning.join(', ')}` : ''}`,
      perTarget,
    };
  }
  if (!worst) return { status: 'succeeded', exitCode: 0, message: `succeeded on ${perTarget.length} instance(s)`, perTarget };
  if (single) return { status: single.status, exitCode: single.exitCode, message: `${single.id}: ${single.message}`, perTarget };
  const bad = perTarget.filter((t) => t.status !== 'succeeded');
  const firstFailed = bad.find((t) => t.status === 'failed' || t.status === 'timed-out') ?? bad[0]!;
  return {
    status: worst === 'cancelled' ? 'failed' : worst,
    exitCode: firstFailed.exitCode,
    message: `${bad.length} of ${perTarget.length} instance(s) did not succeed; first: ${firstFailed.id}: ${firstFailed.message}`,
    perTarget,
  };
}

function explainSendError(error: unknown, target: SsmTarget): Error {
  const name = (error as { name?: string }).name ?? '';
  const msg = (error as Error).message ?? String(error);
  if (name === 'InvalidInstanceId') {
    return new Error(
      `SSM target "${target.name}": an instance is not managed by SSM or is offline (${msg}). Check the SSM agent is running and the instance profile has AmazonSSMManagedInstanceCore.`,
    );
  }
  if (name === 'AccessDeniedException') {
    return new Error(`SSM target "${target.name}": access denied for ssm:SendCommand (${msg}). Allow ssm:SendCommand on the document and instances for the workflow's role.`);
  }
  return new Error(`SSM target "${target.name}": SendCommand failed: ${name} ${msg}`);
}
