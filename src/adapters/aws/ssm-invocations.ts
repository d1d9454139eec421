// Reads command and invocation state from SSM. Right after SendCommand the service may not know the command or
// its invocations yet (InvocationDoesNotExist, InvalidCommandId, an empty list): those come back as "unknown"
// (undefined), never as an error, and the caller decides how long to keep asking.
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { InvocationState } from './ssm-status.js';

export interface SsmInvocation extends InvocationState {
  commandId: string;
  instanceId: string;
  /** GetCommandInvocation's copy of the output (first 24,000 / 8,000 characters), once final. */
  copy?: OutputCopy;
}

export interface OutputCopy {
  stdout: string;
  stderr: string;
}

export interface CommandState {
  status: string;
  details: string;
  targetCount: number;
  completedCount: number;
}

const NOT_YET_VISIBLE = new Set(['InvocationDoesNotExist', 'InvalidPluginName', 'InvalidCommandId']);

function notYetVisible(error: unknown): boolean {
  return NOT_YET_VISIBLE.has((error as { name?: string }).name ?? '');
}

/** One instance's invocation, with the output copy when it is final; undefined while SSM does not show it. */
export async function getInvocation(ssm: SSMClient, commandId: string, instanceId: string): Promise<SsmInvocation | undefined> {
  try {
    const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    return {
      commandId,
      instanceId,
      status: r.Status ?? 'Pending',
      details: r.StatusDetails ?? '',
      exitCode: r.ResponseCode ?? -1,
      copy: { stdout: r.StandardOutputContent ?? '', stderr: r.StandardErrorContent ?? '' },
    };
  } catch (error) {
    if (notYetVisible(error)) return undefined;
    throw error;
  }
}

/** The command's aggregate status (one call for the whole fleet); undefined while SSM does not show it. */
export async function getCommandState(ssm: SSMClient, commandId: string): Promise<CommandState | undefined> {
  try {
    const r = await ssm.send(new ListCommandsCommand({ CommandId: commandId }));
    const c = r.Commands?.[0];
    if (!c) return undefined;
    return { status: c.Status ?? 'Pending', details: c.StatusDetails ?? '', targetCount: c.TargetCount ?? 0, completedCount: c.CompletedCount ?? 0 };
  } catch (error) {
    if (notYetVisible(error)) return undefined;
    throw error;
  }
}

/** Every invocation of the command, all pages (50 per call). */
export async function listInvocations(ssm: SSMClient, commandId: string): Promise<SsmInvocation[]> {
  const out: SsmInvocation[] = [];
  let token: string | undefined;
  do {
    const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken: token }));
    for (const inv of page.CommandInvocations ?? []) {
      if (!inv.InstanceId) continue;
      out.push({
        commandId,
        instanceId: inv.InstanceId,
        status: inv.Status ?? 'Pending',
        details: inv.StatusDetails ?? '',
        exitCode: inv.CommandPlugins?.[0]?.ResponseCode ?? -1,
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}
