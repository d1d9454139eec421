// How an ECS Exec session that ended without the runner's exit record is read: worth another attach (the
// connection dropped, the service throttled) or final (a prerequisite is missing, KMS is misconfigured).
import { errorText } from '../../../run/error-text.js';
import { SessionOpenTimeoutError, type SessionEnd } from '../session/session-client.js';
import { KmsSetupError } from '../session/session-protocol.js';
import { executeCommandRefused, isTransientExecError, kmsDecryptFailed } from './prerequisites.js';
import type { EcsSessionContext } from './session-context.js';
import type { AttachOutcome } from './step-session.js';

/** A refused ExecuteCommand is final, unless it is throttling or an outage, or the agent reconnecting mid-step. */
export function classifyExecError(ctx: EcsSessionContext, error: unknown, attachedBefore: boolean): AttachOutcome {
  if (isTransientExecError(error, attachedBefore)) return { kind: 'dropped', reason: `ecs:ExecuteCommand failed: ${errorText(error)}`, attached: false };
  return { kind: 'fatal', message: executeCommandRefused(ctx.target, ctx.task.taskArn, error) };
}

export function classifySessionEnd(ctx: EcsSessionContext, end: SessionEnd, seen: { attached: boolean; noise: Buffer }): AttachOutcome {
  const dropped = (reason: string): AttachOutcome => ({ kind: 'dropped', reason, attached: seen.attached });
  switch (end.kind) {
    case 'failed':
      if (end.error instanceof KmsSetupError) return { kind: 'fatal', message: end.error.message };
      if (end.error instanceof SessionOpenTimeoutError) return dropped(end.error.message);
      return dropped(`the data channel failed: ${end.error.message}`);
    case 'channel-closed':
      if (/Fetching data key failed|InvalidCiphertextException/i.test(end.output)) {
        return { kind: 'fatal', message: kmsDecryptFailed(ctx.target, ctx.kms.targetId ?? '(not computed)', ctx.kms.keyId, end.output) };
      }
      if (!seen.attached && end.output.trim()) return { kind: 'fatal', message: `the ECS Exec session was closed before the step could start: ${end.output.trim()}` };
      break;
    case 'aborted':
      return dropped('the session was closed by opsgate');
    case 'socket-closed':
      break;
  }
  if (!seen.attached && seen.noise.length > 0) {
    return { kind: 'fatal', message: `the container could not start opsgate's step runner (it needs bash, base64, setsid, stty, wc, tail and head): ${printable(seen.noise)}` };
  }
  return dropped(end.kind === 'channel-closed' ? `the session was closed${end.output ? `: ${end.output.trim()}` : ''}` : `the connection closed (code ${end.code})`);
}

function printable(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ').trim().slice(0, 400);
}
