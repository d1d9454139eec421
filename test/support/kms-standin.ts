// Local stand-in for the two KMS calls an ECS Exec session needs: GenerateDataKey (client side) and
// Decrypt (agent side). The ciphertext blob is sealed with AES-256-GCM under a per-key master secret
// with the key id and encryption context as AAD, so a different context fails like real KMS does.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class KmsStandinError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

export interface KmsStandin {
  generateDataKey(request: { KeyId: string; NumberOfBytes: number; EncryptionContext: Record<string, string> }): {
    Plaintext: Buffer;
    CiphertextBlob: Buffer;
  };
  decrypt(ciphertextBlob: Buffer, context: Record<string, string>): Buffer;
  /** Make GenerateDataKey fail as it does without the kms:GenerateDataKey permission. */
  denyGenerateDataKey: boolean;
  readonly generateCalls: Array<{ KeyId: string; EncryptionContext: Record<string, string> }>;
}

export function createKmsStandin(): KmsStandin {
  const master = randomBytes(32);
  const aad = (keyId: string, context: Record<string, string>) =>
    Buffer.from(JSON.stringify([keyId, Object.entries(context).sort(([a], [b]) => a.localeCompare(b))]));
  const standin: KmsStandin = {
    denyGenerateDataKey: false,
    generateCalls: [],
    generateDataKey(request) {
      standin.generateCalls.push({ KeyId: request.KeyId, EncryptionContext: { ...request.EncryptionContext } });
      if (standin.denyGenerateDataKey) {
        throw new KmsStandinError('AccessDeniedException', `User is not authorized to perform: kms:GenerateDataKey on resource: ${request.KeyId}`);
      }
      if (!Number.isInteger(request.NumberOfBytes) || request.NumberOfBytes < 1 || request.NumberOfBytes > 1024) {
        throw new KmsStandinError('ValidationException', `NumberOfBytes ${request.NumberOfBytes} is not an integer of 1..1024`);
      }
      const plaintext = randomBytes(request.NumberOfBytes);
      const keyIdBytes = Buffer.from(request.KeyId);
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, nonce);
      cipher.setAAD(aad(request.KeyId, request.EncryptionContext));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const header = Buffer.alloc(2);
      header.writeUInt16BE(keyIdBytes.length);
      return { Plaintext: plaintext, CiphertextBlob: Buffer.concat([header, keyIdBytes, nonce, body, cipher.getAuthTag()]) };
    },
    decrypt(blob, context) {
      const keyLength = blob.readUInt16BE(0);
      const keyId = blob.subarray(2, 2 + keyLength).toString();
      const rest = blob.subarray(2 + keyLength);
      try {
        const decipher = createDecipheriv('aes-256-gcm', master, rest.subarray(0, 12));
        decipher.setAAD(aad(keyId, context));
        decipher.setAuthTag(rest.subarray(rest.length - 16));
        return Buffer.concat([decipher.update(rest.subarray(12, rest.length - 16)), decipher.final()]);
      } catch {
        throw new KmsStandinError('InvalidCiphertextException', 'the ciphertext or encryption context is not valid');
      }
    },
  };
  return standin;
}
