// kms:GenerateDataKey over HTTP (awsJson1_1, TrentService) in front of the KMS stand-in, for a process that
// uses the real @aws-sdk/client-kms (the action under test, via AWS_ENDPOINT_URL_KMS). There is no KMS model in
// ../shared/aws-models, so the request is checked by hand against the documented GenerateDataKey rules; a request
// KMS would reject is answered ValidationException and recorded in `violations`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsJsonError, readAwsJsonRequest, sendAwsJson, sendAwsJsonError } from './smithy-validator.js';
import { KmsStandinError, type KmsStandin } from './kms-standin.js';

export interface KmsHttpStandin {
  endpoint: string;
  readonly violations: string[];
  close(): Promise<void>;
}

export async function startKmsHttpStandin(kms: KmsStandin): Promise<KmsHttpStandin> {
  const violations: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const { operation, body } = await readAwsJsonRequest(req, 'TrentService');
        if (operation !== 'GenerateDataKey') throw new AwsJsonError('UnsupportedOperationException', `${operation} is not simulated`);
        const request = checkGenerateDataKey(body, violations);
        const key = kms.generateDataKey(request);
        sendAwsJson(res, 200, { KeyId: `arn:aws:kms:eu-west-1:123456789012:${request.KeyId.replace(/^alias\//, 'alias/')}`, Plaintext: key.Plaintext.toString('base64'), CiphertextBlob: key.CiphertextBlob.toString('base64') });
      } catch (error) {
        if (error instanceof KmsStandinError) return sendAwsJsonError(res, error.code, error.message);
        if (error instanceof AwsJsonError) return sendAwsJsonError(res, error.type, error.message, error.status);
        sendAwsJsonError(res, 'KMSInternalException', String(error), 500);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    violations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const KEY_SPEC_BYTES: Record<string, number> = { AES_256: 32, AES_128: 16 };
const MEMBERS = ['KeyId', 'NumberOfBytes', 'EncryptionContext', 'KeySpec', 'GrantTokens', 'Recipient', 'DryRun'];

/**
 * As strict as KMS: exactly one of KeySpec (AES_256 | AES_128) and NumberOfBytes (1..1024) — neither, both or
 * an unknown KeySpec is a ValidationException — plus the KeyId and EncryptionContext shapes.
 */
function checkGenerateDataKey(body: unknown, violations: string[]): { KeyId: string; NumberOfBytes: number; EncryptionContext: Record<string, string> } {
  const b = (body ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof b['KeyId'] !== 'string' || b['KeyId'].length < 1 || b['KeyId'].length > 2048) problems.push('KeyId must be a string of 1..2048 characters');
  const bytes = b['NumberOfBytes'];
  const spec = b['KeySpec'];
  if (bytes === undefined && spec === undefined) problems.push('neither KeySpec nor NumberOfBytes given (KMS needs exactly one)');
  if (bytes !== undefined && spec !== undefined) problems.push('both KeySpec and NumberOfBytes given (KMS takes exactly one)');
  if (bytes !== undefined && (!Number.isInteger(bytes) || Number(bytes) < 1 || Number(bytes) > 1024)) problems.push('NumberOfBytes must be an integer of 1..1024');
  if (spec !== undefined && (typeof spec !== 'string' || !(spec in KEY_SPEC_BYTES))) problems.push(`KeySpec ${JSON.stringify(spec)} must be one of AES_256, AES_128`);
  const context = b['EncryptionContext'];
  if (context !== undefined && (typeof context !== 'object' || context === null || Object.values(context).some((v) => typeof v !== 'string'))) problems.push('EncryptionContext must map strings to strings');
  for (const key of Object.keys(b)) if (!MEMBERS.includes(key)) problems.push(`unknown member ${key}`);
  if (problems.length) {
    violations.push(...problems);
    throw new AwsJsonError('ValidationException', problems.join('; '));
  }
  const numberOfBytes = bytes !== undefined ? Number(bytes) : KEY_SPEC_BYTES[String(spec)]!;
  return { KeyId: String(b['KeyId']), NumberOfBytes: numberOfBytes, EncryptionContext: (context ?? {}) as Record<string, string> };
}
