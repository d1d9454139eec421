// The agent's AES-256-GCM, as the agent does it: encryption key = data key bytes 0..31, decryption key = bytes
// 32..63, a 96-bit nonce counter seeded randomly and incremented per message (protocol doc 4.5).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class AgentCipher {
  private counter: bigint;

  constructor(private readonly dataKey: Buffer) {
    if (dataKey.length !== 64) throw new Error(`data key must be 64 bytes, got ${dataKey.length}`);
    this.counter = BigInt(`0x${randomBytes(12).toString('hex')}`);
  }

  seal(plain: Buffer): Buffer {
    this.counter = (this.counter + 1n) % (1n << 96n);
    const nonce = Buffer.from(this.counter.toString(16).padStart(24, '0'), 'hex');
    const cipher = createCipheriv('aes-256-gcm', this.dataKey.subarray(0, 32), nonce);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  }

  open(sealed: Buffer): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.dataKey.subarray(32, 64), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  }
}
