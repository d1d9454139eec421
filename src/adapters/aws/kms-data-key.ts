// kms:GenerateDataKey for ECS Exec sessions encrypted with KMS, through the real KMS client.
import { GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';

export type GenerateDataKey = (request: {
  KeyId: string;
  NumberOfBytes: number;
  EncryptionContext: Record<string, string>;
}) => Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>;

export function kmsDataKeyGenerator(kms: KMSClient): GenerateDataKey {
  return (request) => kms.send(new GenerateDataKeyCommand(request));
}
