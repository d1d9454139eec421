import { describe, expect, it } from 'vitest';
import {
  agentSessionCipher,
  answerEncryptionChallenge,
  clientSessionCipher,
  openAesGcm,
  splitDataKey,
} from '../../src/adapters/aws/session/session-cipher.js';
import { ecsKmsTargetId, kmsEncryptionContext } from '../../src/adapters/aws/session/kms-context.js';

// Appendix A8: data key 00..3f, nonce 00..0b.
const dataKey = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const nonce = Buffer.from(Array.from({ length: 12 }, (_, i) => i));
const fixedNonce = (): Buffer => Buffer.from(nonce);

describe('session cipher (Appendix A8)', () => {
  it('client→agent "ls\\r" uses key bytes 32..63', () => {
    const sealed = clientSessionCipher(dataKey, fixedNonce).encrypt(Buffer.from('ls\r'));
    expect(sealed.toString('hex')).toBe('000102030405060708090a0b' + '302150' + '796b6ce92de9e02938ee56f3d16b8741');
    expect(agentSessionCipher(dataKey).decrypt(sealed).toString()).toBe('ls\r');
  });

  it('agent→client "hi\\r\\n" uses key bytes 0..31', () => {
    const sealed = agentSessionCipher(dataKey, fixedNonce).encrypt(Buffer.from('hi\r\n'));
    expect(sealed.toString('hex')).toBe('000102030405060708090a0b' + '2f6bdb11' + '401cc589003fedbf1103ea5b7ca8cd73');
    expect(clientSessionCipher(dataKey).decrypt(sealed).toString()).toBe('hi\r\n');
  });

  it('a tampered tag or the wrong key fails to decrypt', () => {
    const sealed = agentSessionCipher(dataKey).encrypt(Buffer.from('secret'));
    sealed[sealed.length - 1] ^= 1;
    expect(() => clientSessionCipher(dataKey).decrypt(sealed)).toThrow();
    const other = agentSessionCipher(dataKey).encrypt(Buffer.from('secret'));
    expect(() => openAesGcm(splitDataKey(dataKey).clientToAgent, other)).toThrow();
    expect(() => clientSessionCipher(Buffer.alloc(32))).toThrow(/64 bytes/);
  });

  it('challenge: decrypt with agent key, re-encrypt with client key; agent sees the same bytes', () => {
    const agent = agentSessionCipher(dataKey);
    const challenge = Buffer.from(Array.from({ length: 64 }, (_, i) => 255 - i));
    const answer = answerEncryptionChallenge(clientSessionCipher(dataKey), agent.encrypt(challenge).toString('base64'));
    expect(agent.decrypt(Buffer.from(answer, 'base64')).equals(challenge)).toBe(true);
  });
});

describe('KMS identifiers', () => {
  it('builds ecs:<cluster>_<taskId>_<runtimeId> from ARNs', () => {
    expect(
      ecsKmsTargetId(
        'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef',
        '0123456789abcdef0123456789abcdef-1234567890',
      ),
    ).toBe('ecs:prod_0123456789abcdef0123456789abcdef_0123456789abcdef0123456789abcdef-1234567890');
    expect(() => ecsKmsTargetId('prod', 'abc', '')).toThrow(/runtimeId/);
  });

  it('encryption context carries session, target and the optional random challenge', () => {
    expect(kmsEncryptionContext('s-1', 'ecs:a_b_c')).toEqual({ 'aws:ssm:SessionId': 's-1', 'aws:ssm:TargetId': 'ecs:a_b_c' });
    expect(kmsEncryptionContext('s-1', 't', 'Y2g=')['aws:ssm:RandomChallenge']).toBe('Y2g=');
  });
});
