// KMS identifiers for ECS Exec sessions (protocol doc sections 4.5 and 8).
import { lastSegment } from '../ecs/arn.js';

/** `ecs:<clusterName>_<taskId>_<runtimeId>`; must match the agent's own identity byte for byte. */
export function ecsKmsTargetId(clusterArnOrName: string, taskArnOrId: string, runtimeId: string): string {
  if (!runtimeId) throw new Error('container runtimeId is required for the KMS target id (from ecs:DescribeTasks)');
  return `ecs:${lastSegment(clusterArnOrName)}_${lastSegment(taskArnOrId)}_${runtimeId}`;
}

export function kmsEncryptionContext(sessionId: string, targetId: string, randomChallenge?: string): Record<string, string> {
  const context: Record<string, string> = { 'aws:ssm:SessionId': sessionId, 'aws:ssm:TargetId': targetId };
  if (randomChallenge !== undefined) context['aws:ssm:RandomChallenge'] = randomChallenge;
  return context;
}
