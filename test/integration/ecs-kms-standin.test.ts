// The KMS HTTP stand-in the ECS e2e test uses is as strict as KMS about GenerateDataKey: exactly one of KeySpec
// and NumberOfBytes, a known KeySpec. Requests go through the real @aws-sdk/client-kms.
import { GenerateDataKeyCommand, KMSClient, type GenerateDataKeyCommandInput } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsStandin } from '../support/kms-standin.js';
import { startKmsHttpStandin, type KmsHttpStandin } from '../support/kms-http-standin.js';

let standin: KmsHttpStandin;
let client: KMSClient;
const context = { 'aws:ssm:SessionId': 'ecs-execute-command-0abc', 'aws:ssm:TargetId': 'ecs:prod_0123_0123-1' };

beforeAll(async () => {
  standin = await startKmsHttpStandin(createKmsStandin());
  client = new KMSClient({ region: 'eu-west-1', endpoint: standin.endpoint, credentials: { accessKeyId: 'AKIDKMS', secretAccessKey: 'kms-secret' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await standin?.close();
});

const generate = (input: Partial<GenerateDataKeyCommandInput>) => client.send(new GenerateDataKeyCommand({ KeyId: 'alias/ecs-exec', EncryptionContext: context, ...input } as GenerateDataKeyCommandInput));

describe('KMS HTTP stand-in', () => {
  it.each([
    ['NumberOfBytes 64 (what ECS Exec asks for)', { NumberOfBytes: 64 }, 64],
    ['KeySpec AES_256', { KeySpec: 'AES_256' as const }, 32],
    ['KeySpec AES_128', { KeySpec: 'AES_128' as const }, 16],
  ])('%s: a data key of the asked length', async (_name, input, length) => {
    const key = await generate(input);
    expect(key.Plaintext?.length).toBe(length);
    expect(key.CiphertextBlob?.length).toBeGreaterThan(length);
    expect(standin.violations).toEqual([]);
  });

  it.each([
    ['neither KeySpec nor NumberOfBytes', {}, /neither KeySpec nor NumberOfBytes/],
    ['both KeySpec and NumberOfBytes', { KeySpec: 'AES_256' as const, NumberOfBytes: 32 }, /both KeySpec and NumberOfBytes/],
    ['an unknown KeySpec', { KeySpec: 'BOGUS' as 'AES_256' }, /KeySpec "BOGUS" must be one of AES_256, AES_128/],
    ['NumberOfBytes out of range', { NumberOfBytes: 1025 }, /NumberOfBytes must be an integer of 1\.\.1024/],
  ])('%s: ValidationException, like KMS', async (_name, input, message) => {
    const error = (await generate(input).then(() => undefined, (e: unknown) => e)) as { name?: string; message?: string } | undefined;
    expect(error?.name).toBe('ValidationException');
    expect(error?.message).toMatch(message);
    expect(standin.violations.splice(0)).toEqual([expect.stringMatching(message)]);
  });
});
