// Builds and sends the SendCommand for one batch of a step, and turns its errors into messages that name the
// target and the fix.
import { SendCommandCommand, type SendCommandCommandInput, type SSMClient } from '@aws-sdk/client-ssm';
import type { SsmTarget } from '../../runbook/model.js';
import type { StepContext } from '../../ports/executor.js';
import { errorText } from '../../run/error-text.js';
import { rolloutDeliverySeconds, worstCaseRounds } from './ssm-limits.js';
import type { SendBatch } from './ssm-targets.js';

const COMMENT_MAX_CODE_POINTS = 100;

/** "opsgate owner/repo#12 <step name>", cut to SSM's 100 characters (code points, never half a character). */
export function commandComment(origin: StepContext['origin'], stepName: string): string {
  const where = origin ? ` ${origin.repository}${origin.pullRequest !== null ? `#${origin.pullRequest}` : ''}` : '';
  return Array.from(`opsgate${where} ${stepName}`).slice(0, COMMENT_MAX_CODE_POINTS).join('');
}

export interface SendSettings {
  target: SsmTarget;
  commands: string[];
  comment: string;
  deliverySeconds: number;
  executionSeconds: number;
}

export function sendCommandInput(settings: SendSettings, batch: SendBatch, maxErrors: string): SendCommandCommandInput {
  const { target } = settings;
  return {
    DocumentName: 'AWS-RunShellScript',
    ...batch.selector,
    Comment: settings.comment,
    TimeoutSeconds: rolloutDeliverySeconds(settings.deliverySeconds, settings.executionSeconds, roundsOf(batch)),
    MaxConcurrency: batch.MaxConcurrency,
    MaxErrors: maxErrors,
    // No workingDirectory parameter: the step script changes directory itself (a relative one would apply twice).
    Parameters: { commands: settings.commands, executionTimeout: [String(settings.executionSeconds)] },
    ...(target.outputLogGroup
      ? { CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: target.outputLogGroup } }
      : {}),
  };
}

/** Rounds of MaxConcurrency instances the batch needs, when its size is known before sending. */
function roundsOf(batch: SendBatch): number | undefined {
  const size = 'InstanceIds' in batch.selector ? batch.selector.InstanceIds.length : undefined;
  return worstCaseRounds(batch.MaxConcurrency, size);
}

export type SendOutcome = { commandId: string } | { error: string };

export async function sendCommand(ssm: SSMClient, input: SendCommandCommandInput, target: SsmTarget): Promise<SendOutcome> {
  try {
    const out = await ssm.send(new SendCommandCommand(input));
    const commandId = out.Command?.CommandId;
    if (!commandId) return { error: `SSM target "${target.name}": SendCommand returned no CommandId; nothing is known to have run` };
    return { commandId };
  } catch (error) {
    return { error: explainSendError(error, target) };
  }
}

function explainSendError(error: unknown, target: SsmTarget): string {
  const name = (error as { name?: string }).name ?? '';
  const text = errorText(error);
  const prefix = `SSM target "${target.name}": SendCommand failed, nothing ran`;
  switch (name) {
    case 'InvalidInstanceId':
      return `${prefix}: an instance is not managed by SSM or is offline (${text}). Check that its SSM agent runs and its instance profile has AmazonSSMManagedInstanceCore, or fix instance-ids in the repo config.`;
    case 'AccessDeniedException':
      return `${prefix}: access denied (${text}). Allow ssm:SendCommand on document AWS-RunShellScript and on the target instances for the workflow's role.`;
    case 'MaxDocumentSizeExceeded':
      return `${prefix}: the step script is larger than SSM's 64 KB document limit (${text}). Split the step, or ship the script to the instance another way.`;
    case 'InvalidOutputFolder':
    case 'InvalidParameters':
      return `${prefix}: SSM refused the parameters (${text}). Check output-log-group on the target.`;
    default:
      return `${prefix}: ${text}`;
  }
}
