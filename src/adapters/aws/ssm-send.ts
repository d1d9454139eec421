// Builds and sends the SendCommand for one batch of a step, and turns its errors into messages that name the
// target and the fix. SendCommand has no idempotency token, so it is sent once: an answer that never came
// (a dropped connection, a timeout, a 5xx) may hide a command SSM accepted, and resending it would run the script
// twice. Such a send is looked up by the reference its Comment carries (ssm-lookup.ts) instead.
import { randomBytes } from 'node:crypto';
import { SendCommandCommand, type SendCommandCommandInput, type SSMClient } from '@aws-sdk/client-ssm';
import type { SsmTarget } from '../../runbook/model.js';
import type { StepContext } from '../../ports/executor.js';
import { errorText } from '../../run/error-text.js';
import { rolloutDeliverySeconds, worstCaseRounds } from './ssm-limits.js';
import type { SendBatch } from './ssm-targets.js';

const COMMENT_MAX_CODE_POINTS = 100;

/** A fresh reference for one SendCommand, carried in its Comment as `[send <ref>]`. */
export function newSendRef(): string {
  return randomBytes(6).toString('hex');
}

/** The text a send's Comment carries so that it can be found again (ListCommands, the console). */
export function sendRefTag(ref: string): string {
  return `[send ${ref}]`;
}

/**
 * "opsgate owner/repo#12 <step name>", cut to SSM's 100 characters (code points, never half a character); with a
 * send reference, the name is cut shorter so that the reference always fits at the end.
 */
export function commandComment(origin: StepContext['origin'], stepName: string, ref?: string): string {
  const where = origin ? ` ${origin.repository}${origin.pullRequest !== null ? `#${origin.pullRequest}` : ''}` : '';
  const suffix = ref ? ` ${sendRefTag(ref)}` : '';
  return Array.from(`opsgate${where} ${stepName}`).slice(0, COMMENT_MAX_CODE_POINTS - suffix.length).join('') + suffix;
}

export interface SendSettings {
  target: SsmTarget;
  commands: string[];
  origin: StepContext['origin'];
  stepName: string;
  deliverySeconds: number;
  executionSeconds: number;
  /** How many instances prepare() found for a tag target (undefined: not known before sending). */
  fleetSize?: number;
}

export function sendCommandInput(settings: SendSettings, batch: SendBatch, maxErrors: string, ref: string): SendCommandCommandInput {
  const { target } = settings;
  return {
    DocumentName: 'AWS-RunShellScript',
    ...batch.selector,
    Comment: commandComment(settings.origin, settings.stepName, ref),
    TimeoutSeconds: rolloutDeliverySeconds(settings.deliverySeconds, settings.executionSeconds, roundsOf(batch, settings.fleetSize)),
    MaxConcurrency: batch.MaxConcurrency,
    MaxErrors: maxErrors,
    // No workingDirectory parameter: the step script changes directory itself (a relative one would apply twice).
    Parameters: documentParameters(settings),
    ...(target.outputLogGroup
      ? { CloudWatchOutputConfig: { CloudWatchOutputEnabled: true, CloudWatchLogGroupName: target.outputLogGroup } }
      : {}),
  };
}

/** The AWS-RunShellScript parameters of the step: what counts toward SSM's 64 KB document limit. */
export function documentParameters(settings: Pick<SendSettings, 'commands' | 'executionSeconds'>): Record<string, string[]> {
  return { commands: settings.commands, executionTimeout: [String(settings.executionSeconds)] };
}

/**
 * Rounds of MaxConcurrency instances the batch needs: from its instance ids, else from the instances prepare()
 * found for the tags. Unknown (a resource group, or prepare() not run) with a fixed max-concurrency: undefined,
 * and SSM gets the plain delivery timeout (instances whose turn comes later are reported as never started).
 */
function roundsOf(batch: SendBatch, fleetSize: number | undefined): number | undefined {
  const size = 'InstanceIds' in batch.selector ? batch.selector.InstanceIds.length : fleetSize;
  return worstCaseRounds(batch.MaxConcurrency, size);
}

export type SendOutcome =
  | { commandId: string }
  /** SSM answered with a refusal: nothing ran. */
  | { refused: string }
  /** No usable answer: SSM may have accepted the command. `unanswered` is what the one attempt ended with. */
  | { unanswered: unknown };

export async function sendCommand(ssm: SSMClient, input: SendCommandCommandInput, target: SsmTarget): Promise<SendOutcome> {
  try {
    const out = await ssm.send(sentOnce(new SendCommandCommand(input)));
    const commandId = out.Command?.CommandId;
    // A 200 without a CommandId: SSM may well have accepted it.
    if (!commandId) return { unanswered: new Error('SendCommand answered without a CommandId') };
    return { commandId };
  } catch (error) {
    const cause = error instanceof SendAnswerLost ? error.original : error;
    return isRefusal(cause) ? { refused: explainSendError(cause, target) } : { unanswered: cause };
  }
}

/** A 4xx answer is SSM refusing the request (validation, access, throttling): the command was not accepted. */
function isRefusal(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

/**
 * Whatever retry settings the client has, SendCommand gets a second attempt only after SSM refused the first
 * (a throttle, which is safe to retry). Any other failure is wrapped so that the SDK sees a non-retryable error;
 * the original is kept in `original`, not `cause` (the SDK would find a transient cause and retry after all).
 */
export class SendAnswerLost extends Error {
  override readonly name = 'SendAnswerLost';
  constructor(readonly original: unknown) {
    super(`SendCommand got no usable answer (${errorText(original)}); not retried, since SSM may have accepted it`);
  }
}

function sentOnce(command: SendCommandCommand): SendCommandCommand {
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw isRefusal(error) ? error : new SendAnswerLost(error);
      }
    },
    // Inside the SDK's retry loop (finalizeRequest, high priority), around each attempt.
    { step: 'finalizeRequest', priority: 'low', name: 'opsgateSendCommandOnce' },
  );
  return command;
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
