// Answers the agent's KMSEncryption request for an ECS Exec session: kms:GenerateDataKey (64 bytes) with the
// session id and the target id `ecs:<cluster>_<taskId>_<runtimeId>` as encryption context (protocol doc 4.5).
import type { EcsTarget } from '../../../runbook/model.js';
import type { GenerateDataKey } from '../kms-data-key.js';
import { ecsKmsTargetId, kmsEncryptionContext } from '../session/kms-context.js';
import { KmsSetupError, type DataKeyProvider } from '../session/session-protocol.js';
import { kmsGenerateDenied, kmsNotConfigured } from './prerequisites.js';
import type { KmsUse } from './session-context.js';
import type { SelectedTask } from './task-selection.js';

export interface DataKeyInput {
  target: EcsTarget;
  task: SelectedTask;
  sessionId: string;
  /** Filled in with what was used, for a later error message. */
  kms: KmsUse;
  generateDataKey: GenerateDataKey | undefined;
}

export function ecsDataKeyProvider(input: DataKeyInput): DataKeyProvider {
  return async ({ kmsKeyId }) => {
    input.kms.keyId = kmsKeyId;
    if (!input.generateDataKey) throw new KmsSetupError(kmsNotConfigured(input.target, kmsKeyId));
    const targetId = ecsKmsTargetId(input.task.clusterArn, input.task.taskArn, input.task.runtimeId);
    input.kms.targetId = targetId;
    let key;
    try {
      key = await input.generateDataKey({ KeyId: kmsKeyId, NumberOfBytes: 64, EncryptionContext: kmsEncryptionContext(input.sessionId, targetId) });
    } catch (error) {
      throw new KmsSetupError(kmsGenerateDenied(input.target, kmsKeyId, error));
    }
    if (!key.Plaintext || !key.CiphertextBlob) throw new KmsSetupError(kmsGenerateDenied(input.target, kmsKeyId, new Error('GenerateDataKey returned no key')));
    return { plaintext: Buffer.from(key.Plaintext), ciphertextBlob: Buffer.from(key.CiphertextBlob), challengeAcknowledged: false };
  };
}
