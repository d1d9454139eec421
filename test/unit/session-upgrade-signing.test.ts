// SigV4 on the data-channel upgrade: signed for ssmmessages in the target's region, the stream URL's query used
// as written ('+' is not a space), a presigned URL left alone. The watchdog bound sits above the agent's 15 s.
import { describe, expect, it } from 'vitest';
import { isPresigned, rawQueryParameters, signUpgradeHeaders } from '../../src/adapters/aws/session/upgrade-signing.js';
import { DEFAULT_OPEN_TIMEOUT_MS } from '../../src/adapters/aws/session/session-client.js';
import { DEFAULT_TUNING } from '../../src/adapters/aws/ecs/session-context.js';

const URL_ = 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-0a1b?role=publish_subscribe&cell-number=AbC+/=';

describe('upgrade signing', () => {
  it('signs host and x-amz-date for ssmmessages in the region, with the session token', async () => {
    const headers = await signUpgradeHeaders({
      streamUrl: URL_,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'tok' },
      now: new Date('2026-01-02T03:04:05Z'),
    });
    expect(headers['host']).toBe('ssmmessages.eu-west-1.amazonaws.com');
    expect(headers['x-amz-date']).toBe('20260102T030405Z');
    expect(headers['x-amz-security-token']).toBe('tok');
    expect(headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/20260102\/eu-west-1\/ssmmessages\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
  });

  it('keeps + as a plus in the query it signs', () => {
    expect(rawQueryParameters(URL_)).toEqual({ role: 'publish_subscribe', 'cell-number': 'AbC+/=' });
  });

  it('leaves a presigned URL unsigned', async () => {
    const presigned = `${URL_}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc`;
    expect(isPresigned(presigned)).toBe(true);
    expect(await signUpgradeHeaders({ streamUrl: presigned, region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })).toEqual({});
  });

  it('the open watchdog waits longer than the agent handshake limit of 15 s', () => {
    expect(DEFAULT_OPEN_TIMEOUT_MS).toBeGreaterThan(15_000);
    expect(DEFAULT_TUNING.openTimeoutMs).toBeGreaterThan(15_000);
    expect(DEFAULT_TUNING.keepAliveMs).toBeLessThan(20 * 60_000);
  });
});
