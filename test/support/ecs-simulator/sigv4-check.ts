// Strict mode of the data-channel gateway: the WebSocket upgrade must carry a valid SigV4 signature for service
// ssmmessages (host, x-amz-date and authorization headers), recomputed here with the test's known secret.
import type { IncomingMessage } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigV4Expectation {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
}

/** Why the upgrade request is not correctly signed, or undefined when it is. */
export async function upgradeSignatureProblem(request: IncomingMessage, expected: SigV4Expectation): Promise<string | undefined> {
  const auth = header(request, 'authorization');
  const amzDate = header(request, 'x-amz-date');
  const host = header(request, 'host');
  if (!auth || !amzDate || !host) return `missing ${!auth ? 'authorization' : !amzDate ? 'x-amz-date' : 'host'} header`;
  const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})/.exec(auth);
  if (!scope) return 'authorization header is not AWS4-HMAC-SHA256';
  const [, keyId, , region, service, signedHeaders] = scope;
  if (keyId !== expected.accessKeyId || region !== expected.region || service !== 'ssmmessages') return `wrong credential scope ${keyId}/${region}/${service}`;
  if (!signedHeaders!.split(';').includes('host') || !signedHeaders!.split(';').includes('x-amz-date')) return `host and x-amz-date must be signed (${signedHeaders})`;
  const date = parseAmzDate(amzDate);
  if (!date || Math.abs(Date.now() - date.getTime()) > 5 * 60_000) return `x-amz-date ${amzDate} is not within 5 minutes`;
  const url = new URL(request.url ?? '/', `http://${host}`);
  const signer = new SignatureV4({ service: 'ssmmessages', region: expected.region, credentials: expected, sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
  const headers: Record<string, string> = { host };
  const resigned = await signer.sign(
    { method: 'GET', protocol: 'wss:', hostname: url.hostname, path: url.pathname, query: plainQuery(request.url ?? ''), headers },
    { signingDate: date },
  );
  return resigned.headers['authorization'] === auth ? undefined : 'signature does not match';
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

function plainQuery(rawUrl: string): Record<string, string> {
  const query: Record<string, string> = {};
  const search = rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : '';
  for (const part of search.split('&').filter(Boolean)) {
    const [key = '', value = ''] = part.split(/=(.*)/s);
    query[decodeURIComponent(key)] = decodeURIComponent(value);
  }
  return query;
}
