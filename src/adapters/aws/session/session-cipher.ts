// AES-256-GCM with the 64-byte KMS data key split in two (protocol doc section 4.5).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 64;

export interface SessionCipher {
  /** Client → agent (stdin only): nonce ‖ ciphertext ‖ tag. */
  encrypt(plain: Buffer): Buffer;
  /** Agent → client (Output, StdErr, ExitCode). Throws on a bad tag. */
  decrypt(sealed: Buffer): Buffer;
}

/** Client-side view: decrypt with bytes 0..31, encrypt with bytes 32..63. */
export function clientSessionCipher(dataKey: Buffer, nonceSource: () => Buffer = () => randomBytes(NONCE_BYTES)): SessionCipher {
  const { agentToClient, clientToAgent } = splitDataKey(dataKey);
  return {
    encrypt: (plain) => sealAesGcm(clientToAgent, nonceSource(), plain),
    decrypt: (sealed) => openAesGcm(agentToClient, sealed),
  };
}

/** Agent-side view (used by the simulator): the mirror image of the client. */
export function agentSessionCipher(dataKey: Buffer, nonceSource: () => Buffer = () => randomBytes(NONCE_BYTES)): SessionCipher {
  const { agentToClient, clientToAgent } = splitDataKey(dataKey);
  return {
    encrypt: (plain) => sealAesGcm(agentToClient, nonceSource(), plain),
    decrypt: (sealed) => openAesGcm(clientToAgent, sealed),
  };
}

export function splitDataKey(dataKey: Buffer): { agentToClient: Buffer; clientToAgent: Buffer } {
  if (dataKey.length !== DATA_KEY_BYTES) throw new Error(`KMS data key must be 64 bytes, got ${dataKey.length}`);
  return { agentToClient: dataKey.subarray(0, 32), clientToAgent: dataKey.subarray(32, 64) };
}

export function sealAesGcm(key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new Error('GCM nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function openAesGcm(key: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('encrypted payload shorter than nonce + tag');
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

/** Challenge answer: decrypt with the agent→client key, re-encrypt with the client→agent key. */
export function answerEncryptionChallenge(cipher: SessionCipher, challengeBase64: string): string {
  return cipher.encrypt(cipher.decrypt(Buffer.from(challengeBase64, 'base64'))).toString('base64');
}
