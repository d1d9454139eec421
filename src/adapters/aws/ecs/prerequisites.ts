// What to tell a user when an ECS Exec prerequisite is missing: each message names the target, the task or key,
// the missing prerequisite and the fix. Facts: /work/shared/design/aws-facts.md section 2, protocol doc 4.5 and 8.
import type { EcsTarget } from '../../../runbook/model.js';
import { errorText } from '../../../run/error-text.js';
import { lastSegment } from './arn.js';

const SSMMESSAGES_ACTIONS = 'ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel';

function where(target: EcsTarget): string {
  return `target "${target.name}" (cluster ${target.cluster})`;
}

function redeployFix(target: EcsTarget): string {
  if (target.service) {
    return `aws ecs update-service --cluster ${target.cluster} --service ${target.service} --enable-execute-command --force-new-deployment`;
  }
  return 'start a new task with --enable-execute-command (an existing task cannot be changed)';
}

export function execNotEnabled(target: EcsTarget, taskArn: string): string {
  return `${where(target)}: task ${lastSegment(taskArn)} was started without execute command enabled, so ECS Exec cannot reach it. Fix: ${redeployFix(target)}.`;
}

export function agentNotRunning(target: EcsTarget, taskArn: string, container: string, status: string | undefined): string {
  return (
    `${where(target)}: the ExecuteCommandAgent in container "${container}" of task ${lastSegment(taskArn)} is ${status ?? 'missing'}, not RUNNING. ` +
    `Wait a minute and retry; if it stays so, check that the task role grants ${SSMMESSAGES_ACTIONS} and that the task can reach ssmmessages (VPC endpoint or NAT).`
  );
}

export function noRunningTask(target: EcsTarget): string {
  const scope = target.service ? `service "${target.service}"` : `task "${target.task ?? '?'}"`;
  return `${where(target)}: ${scope} has no RUNNING task. Fix: check the service's desired count and its events (aws ecs describe-services --cluster ${target.cluster} --services ${target.service ?? '<service>'}), or name a running task in the repo config.`;
}

export function severalContainers(target: EcsTarget, taskArn: string, names: string[]): string {
  return `${where(target)}: task ${lastSegment(taskArn)} has several containers (${names.join(', ')}). Fix: set targets.${target.name}.ecs.container in the repo config to the one the steps run in.`;
}

export function noSuchContainer(target: EcsTarget, taskArn: string, names: string[]): string {
  return `${where(target)}: task ${lastSegment(taskArn)} has no container "${target.container ?? ''}" (it has ${names.join(', ')}). Fix: correct targets.${target.name}.ecs.container in the repo config.`;
}

export function taskDefinitionNeedsNetwork(target: EcsTarget): string {
  return `${where(target)}: task-definition "${target.taskDefinition ?? ''}" starts a one-off task, which needs targets.${target.name}.ecs.subnets (and usually security-groups) in the repo config for awsvpc networking.`;
}

/** ExecuteCommand refused: map the service's exception to the prerequisite behind it. */
export function executeCommandRefused(target: EcsTarget, taskArn: string, error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  const text = errorText(error);
  const task = lastSegment(taskArn);
  switch (name) {
    case 'TargetNotConnectedException':
      return `${where(target)}: ECS Exec cannot connect to task ${task} (${text}). The task role most likely lacks ${SSMMESSAGES_ACTIONS}, or the task cannot reach ssmmessages (add a VPC endpoint for ssmmessages or a NAT route); the ExecuteCommandAgent must be RUNNING.`;
    case 'AccessDeniedException':
      return `${where(target)}: not allowed to run ECS Exec on task ${task} (${text}). Grant the role running opsgate ecs:ExecuteCommand on the cluster and task (check IAM conditions such as ecs:container-name), and the task role ${SSMMESSAGES_ACTIONS}.`;
    case 'ClusterNotFoundException':
      return `${where(target)}: cluster not found (${text}). Fix: check targets.${target.name}.ecs.cluster and the region.`;
    case 'InvalidParameterException':
      if (/not enabled|agent isn't running|agent is not running/i.test(text)) {
        return `${where(target)}: ${text} Fix: ${redeployFix(target)}; if the task already has it, wait for its ExecuteCommandAgent to be RUNNING.`;
      }
      return `${where(target)}: ecs:ExecuteCommand refused the request for task ${task} (${text}).`;
    default:
      return `${where(target)}: ecs:ExecuteCommand failed for task ${task} (${text}).`;
  }
}

/**
 * Errors worth another ExecuteCommand: throttling, outages and network errors; TargetNotConnectedException only
 * once the step has been reached (the agent reconnecting), before that it means a missing prerequisite.
 */
export function isTransientExecError(error: unknown, attachedBefore: boolean): boolean {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TargetNotConnectedException') return attachedBefore;
  return ['ThrottlingException', 'ServerException', 'ServiceUnavailableException', 'TimeoutError', 'RequestTimeout'].includes(name) || !name || name === 'Error';
}

/** The agent's channel_closed text when it could not decrypt the data key: the target id or kms:Decrypt is wrong. */
export function kmsDecryptFailed(target: EcsTarget, targetId: string, keyId: string | undefined, agentText: string): string {
  return (
    `${where(target)}: the ECS Exec agent could not decrypt the KMS data key (${agentText.trim()}). opsgate computed the target id ${targetId} ` +
    `(ecs:<cluster>_<taskId>_<runtimeId> from DescribeTasks); if the agent's identity differs the key cannot be opened. Also check that the task role has kms:Decrypt on ${keyId ?? 'the cluster key'}.`
  );
}

export function kmsGenerateDenied(target: EcsTarget, keyId: string, error: unknown): string {
  return `${where(target)}: the cluster encrypts ECS Exec sessions with KMS key ${keyId}, and kms:GenerateDataKey failed (${errorText(error)}). Fix: allow kms:GenerateDataKey on that key for the role running opsgate. Nothing ran.`;
}

export function kmsNotConfigured(target: EcsTarget, keyId: string): string {
  return `${where(target)}: the cluster encrypts ECS Exec sessions with KMS key ${keyId}, but no KMS client is configured. Nothing ran.`;
}
