// SigV4 headers for the data-channel WebSocket upgrade (protocol doc 1.2: newer plugins sign `GET <streamUrl>`
// for service ssmmessages in the session's region). A URL that is already presigned is left alone.
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'];

export interface UpgradeSigningInput {
  streamUrl: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  now?: Date;
}

export function isPresigned(streamUrl: string): boolean {
  const query = new URL(streamUrl).searchParams;
  return PRESIGN_PARAMS.some((name) => query.has(name));
}

/**
 * The query exactly as written: '+' stays a plus (the stream URL is used byte for byte, protocol doc 1.1), so
 * URLSearchParams, which turns '+' into a space, is not used.
 */
export function rawQueryParameters(streamUrl: string): Record<string, string | string[]> {
  const search = new URL(streamUrl).search.replace(/^\?/, '');
  const query: Record<string, string | string[]> = {};
  for (const pair of search ? search.split('&') : []) {
    const at = pair.indexOf('=');
    const key = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/** Headers to send with the upgrade (host, x-amz-date, authorization, x-amz-security-token), or {} when presigned. */
export async function signUpgradeHeaders(input: UpgradeSigningInput): Promise<Record<string, string>> {
  if (isPresigned(input.streamUrl)) return {};
  const url = new URL(input.streamUrl);
  const signer = new SignatureV4({ service: 'ssmmessages', region: input.region, credentials: input.credentials, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: rawQueryParameters(input.streamUrl),
      headers: { host: url.host },
    },
    input.now ? { signingDate: input.now } : {},
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = String(value);
  return headers;
}
