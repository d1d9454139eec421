// The native data-channel client against the loopback agent simulator (real ws, real pty via script).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/ports/clock.js';
import { openSession, type SessionEnd } from '../../src/adapters/aws/session/session-client.js';
import type { DataKeyProvider } from '../../src/adapters/aws/session/session-protocol.js';
import { kmsEncryptionContext } from '../../src/adapters/aws/session/kms-context.js';
import { startAgentServer, type AgentServer, type SimulatedSession } from '../support/ecs-simulator/agent-server.js';
import { createKmsStandin } from '../support/kms-standin.js';

const kms = createKmsStandin();
let plain: AgentServer;
let faulty: AgentServer;

beforeAll(async () => {
  plain = await startAgentServer({ kmsDecrypt: (blob, context) => kms.decrypt(blob, context) });
  faulty = await startAgentServer({ faults: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.01, seed: 7 } });
});
afterAll(async () => {
  await plain.close();
  await faulty.close();
});

async function runSession(
  server: AgentServer,
  session: Omit<SimulatedSession, 'sessionId' | 'tokenValue'>,
  providerFor?: (sessionId: string) => DataKeyProvider,
): Promise<{ output: Buffer; end: SessionEnd; sessionId: string; ready: string | undefined }> {
  const sessionId = `ecs-execute-command-${randomUUID()}`;
  server.addSession({ ...session, sessionId, tokenValue: 'TOKEN-' + sessionId });
  const chunks: Buffer[] = [];
  let ready: string | undefined;
  const handle = openSession({
    streamUrl: server.url(sessionId),
    tokenValue: 'TOKEN-' + sessionId,
    clientId: randomUUID(),
    clock: systemClock,
    onData: (_type, bytes) => chunks.push(bytes),
    onReady: (message) => (ready = message),
    ...(providerFor ? { dataKeyProvider: providerFor(sessionId) } : {}),
  });
  handle.sendSize(200, 50);
  const end = await handle.ended;
  return { output: Buffer.concat(chunks), end, sessionId, ready };
}

function standinProvider(sessionIdRef: () => string, targetId: string): DataKeyProvider {
  return async ({ kmsKeyId }) => {
    const key = kms.generateDataKey({
      KeyId: kmsKeyId,
      NumberOfBytes: 64,
      EncryptionContext: kmsEncryptionContext(sessionIdRef(), targetId),
    });
    return { plaintext: key.Plaintext, ciphertextBlob: key.CiphertextBlob, challengeAcknowledged: false };
  };
}

describe('ECS Exec data channel client on the simulator', () => {
  it('handshakes, streams pty output (non-ASCII intact) and ends on channel_closed', async () => {
    const result = await runSession(plain, { command: "printf 'héllo wörld ✓\\n'" });
    expect(result.end).toEqual({ kind: 'channel-closed', output: '' });
    expect(result.output.toString('utf8')).toBe('héllo wörld ✓\r\n');
    expect(plain.starts(result.sessionId)).toBe(1);
    expect(plain.rejectedFrames).toEqual([]);
  });

  it('KMS on: data key with the session/target context, challenge answered, output decrypted', async () => {
    const target = 'ecs:prod_0123abcd_0123abcd-111';
    let id = '';
    const provider = standinProvider(() => id, target);
    const sessionId = `ecs-execute-command-${randomUUID()}`;
    id = sessionId;
    plain.addSession({ sessionId, tokenValue: 't', command: 'echo secret-out', kmsKeyId: 'alias/exec', targetId: target });
    const chunks: Buffer[] = [];
    let ready = '';
    const handle = openSession({
      streamUrl: plain.url(sessionId),
      tokenValue: 't',
      clientId: randomUUID(),
      clock: systemClock,
      onData: (_t, b) => chunks.push(b),
      onReady: (m) => (ready = m),
      dataKeyProvider: provider,
    });
    expect(await handle.ended).toEqual({ kind: 'channel-closed', output: '' });
    expect(Buffer.concat(chunks).toString()).toBe('secret-out\r\n');
    expect(ready).toBe('This session is encrypted using AWS KMS.');
    expect(kms.generateCalls.at(-1)).toEqual({
      KeyId: 'alias/exec',
      EncryptionContext: { 'aws:ssm:SessionId': sessionId, 'aws:ssm:TargetId': target },
    });
    expect(plain.starts(sessionId)).toBe(1);
  });

  it('KMS with the wrong target id: the agent cannot decrypt the key and the command never runs', async () => {
    const result = await runSession(
      plain,
      { command: 'echo must-not-run', kmsKeyId: 'alias/exec', targetId: 'ecs:prod_task_runtime-REAL' },
      (sessionId) => standinProvider(() => sessionId, 'ecs:prod_task_runtime-WRONG'),
    );
    expect(result.end.kind).toBe('channel-closed');
    expect(result.end.kind === 'channel-closed' && result.end.output).toMatch(/Fetching data key failed.*InvalidCiphertextException/s);
    expect(result.output.length).toBe(0);
    expect(plain.starts(result.sessionId)).toBe(0);
  });

  it('KMS permission missing: the session fails with the KMS error before the command runs', async () => {
    kms.denyGenerateDataKey = true;
    try {
      const result = await runSession(
        plain,
        { command: 'echo must-not-run', kmsKeyId: 'alias/exec', targetId: 'ecs:a_b_c' },
        (sessionId) => standinProvider(() => sessionId, 'ecs:a_b_c'),
      );
      expect(result.end.kind).toBe('failed');
      expect(result.end.kind === 'failed' && result.end.error.message).toMatch(
        /KMS GenerateDataKey for key alias\/exec failed: AccessDeniedException/,
      );
      expect(plain.starts(result.sessionId)).toBe(0);
    } finally {
      kms.denyGenerateDataKey = false;
    }
  });

  it('1% of frames dropped, duplicated and reordered: output complete, in order, command ran once', async () => {
    const result = await runSession(faulty, { command: 'seq 1 60000' });
    expect(result.end).toEqual({ kind: 'channel-closed', output: '' });
    const expected = Array.from({ length: 60000 }, (_, i) => `${i + 1}\r\n`).join('');
    expect(result.output.length).toBe(Buffer.byteLength(expected));
    expect(result.output.toString() === expected).toBe(true);
    expect(faulty.starts(result.sessionId)).toBe(1);
    const injected = faulty.faultCounts;
    expect(injected.dropped).toBeGreaterThan(0);
    expect(injected.duplicated).toBeGreaterThan(0);
    expect(injected.reordered).toBeGreaterThan(0);
  }, 60_000);
});
