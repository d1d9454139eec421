// The native data-channel client against the loopback agent simulator (real ws, real pty via script): the
// simulator's appendix-C behaviours one by one, seen from the client.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/ports/clock.js';
import { openSession, type SessionEnd } from '../../src/adapters/aws/session/session-client.js';
import type { DataKeyProvider } from '../../src/adapters/aws/session/session-protocol.js';
import { kmsEncryptionContext } from '../../src/adapters/aws/session/kms-context.js';
import { buildOpenDataChannelFrame } from '../../src/adapters/aws/session/open-data-channel.js';
import { signUpgradeHeaders } from '../../src/adapters/aws/session/upgrade-signing.js';
import { decodeMessage, MessageType } from '../../src/adapters/aws/session/message.js';
import { startAgentServer, type AgentServer, type AgentServerOptions, type SimulatedSession } from '../support/ecs-simulator/agent-server.js';
import { HANDSHAKE_TIMEOUT_TEXT, IDLE_TEXT } from '../support/ecs-simulator/agent-session.js';
import { scaledClock } from '../support/ecs-simulator/sim-clock.js';
import { createKmsStandin } from '../support/kms-standin.js';
import { startBlackhole } from '../support/blackhole.js';

const kms = createKmsStandin();
const servers: AgentServer[] = [];
let plain: AgentServer;

async function server(options: AgentServerOptions = {}): Promise<AgentServer> {
  const started = await startAgentServer({ ptyDelayMs: 100, kmsDecrypt: (blob, context) => kms.decrypt(blob, context), ...options });
  servers.push(started);
  return started;
}

beforeAll(async () => {
  plain = await server();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const s of servers) expect(s.violations).toEqual([]);
});

interface SessionRun {
  output: Buffer;
  end: SessionEnd;
  sessionId: string;
  ready: string | undefined;
  firstType: number | undefined;
}

async function runSession(
  target: AgentServer,
  session: Omit<SimulatedSession, 'sessionId' | 'tokenValue'>,
  extra: { provider?: (sessionId: string) => DataKeyProvider; headers?: Record<string, string>; input?: string[] } = {},
): Promise<SessionRun> {
  const sessionId = `ecs-execute-command-${randomUUID()}`;
  target.addSession({ ...session, sessionId, tokenValue: 'TOKEN-' + sessionId });
  const chunks: Buffer[] = [];
  let ready: string | undefined;
  let firstType: number | undefined;
  const handle = openSession({
    streamUrl: target.url(sessionId),
    tokenValue: 'TOKEN-' + sessionId,
    clientId: randomUUID(),
    clock: systemClock,
    onData: (type, bytes) => {
      firstType ??= type;
      chunks.push(bytes);
    },
    onReady: (message) => (ready = message),
    ...(extra.provider ? { dataKeyProvider: extra.provider(sessionId) } : {}),
    ...(extra.headers ? { headers: extra.headers } : {}),
  });
  handle.sendSize(200, 50);
  for (const line of extra.input ?? []) handle.sendInput(Buffer.from(line));
  const end = await handle.ended;
  return { output: Buffer.concat(chunks), end, sessionId, ready, firstType };
}

function standinProvider(sessionId: string, targetId: string): DataKeyProvider {
  return async ({ kmsKeyId }) => {
    const key = kms.generateDataKey({ KeyId: kmsKeyId, NumberOfBytes: 64, EncryptionContext: kmsEncryptionContext(sessionId, targetId) });
    return { plaintext: key.Plaintext, ciphertextBlob: key.CiphertextBlob, challengeAcknowledged: false };
  };
}

const seqOutput = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\r\n`).join('');

describe('simulated ECS Exec data channel', () => {
  it('without KMS there is no handshake: the first stream message is Output, exec without a shell', async () => {
    const result = await runSession(plain, { command: "echo 'héllo wörld ✓' ; false" });
    expect(result.end).toEqual({ kind: 'channel-closed', output: '' });
    expect(result.firstType).toBe(1);
    // No shell: `;` and `false` are echo arguments, not a second command.
    expect(result.output.toString('utf8')).toBe('héllo wörld ✓ ; false\r\n');
    expect(plain.rejectedFrames).toEqual([]);
  });

  it('KMS on: data key with the session/target context, challenge answered, output decrypted', async () => {
    const target = 'ecs:prod_0123abcd_0123abcd-111';
    const result = await runSession(plain, { command: 'echo secret-out', kmsKeyId: 'alias/exec', targetId: target }, { provider: (id) => standinProvider(id, target) });
    expect(result.end).toEqual({ kind: 'channel-closed', output: '' });
    expect(result.output.toString()).toBe('secret-out\r\n');
    expect(result.ready).toBe('This session is encrypted using AWS KMS.');
    expect(kms.generateCalls.at(-1)).toEqual({ KeyId: 'alias/exec', EncryptionContext: { 'aws:ssm:SessionId': result.sessionId, 'aws:ssm:TargetId': target } });
    expect(plain.starts(result.sessionId)).toBe(1);
  });

  it('KMS with the wrong target id: the agent cannot decrypt the key and the command never starts', async () => {
    const result = await runSession(plain, { command: 'echo must-not-run', kmsKeyId: 'alias/exec', targetId: 'ecs:prod_task_runtime-REAL' }, { provider: (id) => standinProvider(id, 'ecs:prod_task_runtime-WRONG') });
    expect(result.end.kind === 'channel-closed' && result.end.output).toMatch(/Fetching data key failed.*InvalidCiphertextException/s);
    expect(result.output.length).toBe(0);
    expect(plain.starts(result.sessionId)).toBe(0);
  });

  it('1% of frames dropped, duplicated, reordered and corrupted in both directions, with pauses: output exact', async () => {
    const faulty = await server({
      faults: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.01, badDigestRate: 0.01, seed: 7 },
      inboundFaults: { dropRate: 0.01, duplicateRate: 0.01, reorderRate: 0.01, seed: 8 },
      pause: { everyMs: 700, forMs: 150 },
    });
    const input = Array.from({ length: 300 }, (_, i) => `${i}\n`);
    // Echo off first: input is sent only once output arrived, so none of it can be echoed into the output.
    const result = await runSession(faulty, { command: "sh -c 'stty -echo; seq 1 60000'" }, { input });
    expect(result.end).toEqual({ kind: 'channel-closed', output: '' });
    expect(result.output.toString() === seqOutput(60000)).toBe(true);
    expect(faulty.starts(result.sessionId)).toBe(1);
    for (const counts of [faulty.faultCounts, faulty.inboundFaultCounts]) {
      expect(counts.dropped * counts.duplicated * counts.reordered).toBeGreaterThan(0);
    }
    expect(faulty.faultCounts.badDigest).toBeGreaterThan(0);
    expect(faulty.stats.pauses).toBeGreaterThan(0);
    // Every input line reached the pty exactly once and in order despite inbound faults.
    expect(faulty.stats.inputs.slice(0, 300)).toEqual(input.map((l) => l.trim()));
  }, 60_000);

  it('idle timeout: channel_closed after 20 simulated minutes without input', async () => {
    const idle = await server({ clock: scaledClock(600) });
    const result = await runSession(idle, { command: 'sleep 10' });
    expect(result.end).toEqual({ kind: 'channel-closed', output: IDLE_TEXT });
    expect(idle.stats.idleTimeouts).toBe(1);
  });

  it('handshake timeout: no HandshakeResponse within 15 simulated seconds closes the channel', async () => {
    const slow = await server({ clock: scaledClock(30) });
    const sessionId = `ecs-execute-command-${randomUUID()}`;
    slow.addSession({ sessionId, tokenValue: 't', command: 'echo never', kmsKeyId: 'alias/exec', targetId: 'ecs:a_b_c' });
    const socket = new WebSocket(slow.url(sessionId), { perMessageDeflate: false });
    const types: string[] = [];
    const closed = new Promise<string>((resolve) =>
      socket.on('message', (data: Buffer, binary) => {
        if (!binary) return;
        const message = decodeMessage(data);
        types.push(message.messageType);
        if (message.messageType === MessageType.ChannelClosed) resolve(String(JSON.parse(message.payload.toString()).Output));
      }),
    );
    socket.on('open', () => socket.send(buildOpenDataChannelFrame({ tokenValue: 't', clientId: randomUUID() })));
    expect(await closed).toBe(HANDSHAKE_TIMEOUT_TEXT);
    socket.terminate();
    expect(types[0]).toBe(MessageType.OutputStreamData);
    expect(slow.stats.handshakeTimeouts).toBe(1);
    expect(slow.starts(sessionId)).toBe(0);
  });

  it('OpenDataChannel is checked as the protocol sheet describes; a bad first frame is closed cleanly (4001)', async () => {
    const strict = await server();
    const good = JSON.parse(buildOpenDataChannelFrame({ tokenValue: 't', clientId: randomUUID() })) as Record<string, unknown>;
    const without = (field: string) => JSON.stringify({ ...good, RequestId: randomUUID(), [field]: undefined });
    const cases: Array<[string | Buffer, RegExp]> = [
      ['not json {', /the first frame is not JSON/],
      [Buffer.from(JSON.stringify({ ...good, RequestId: randomUUID() })), /the first frame is binary/],
      [without('RequestId'), /RequestId undefined is not a lower-case v4 UUID/],
      [JSON.stringify({ ...good, RequestId: 'req-1' }), /RequestId "req-1" is not/],
      [without('ClientId'), /ClientId undefined is not/],
      [without('ClientVersion'), /ClientVersion undefined is not a plugin version/],
      [JSON.stringify({ ...good, RequestId: randomUUID(), TokenValue: 'other' }), /TokenValue does not match/],
    ];
    const opened = async (frame: string | Buffer) => {
      const sessionId = `ecs-execute-command-${randomUUID()}`;
      strict.addSession({ sessionId, tokenValue: 't', command: 'echo opened' });
      const socket = new WebSocket(strict.url(sessionId), { perMessageDeflate: false });
      socket.on('open', () => socket.send(frame));
      const end = await new Promise<number | 'streaming'>((resolve) => {
        socket.on('close', resolve);
        socket.on('message', () => resolve('streaming'));
      });
      socket.terminate();
      return { end, starts: strict.starts(sessionId) };
    };
    for (const [frame] of cases) expect(await opened(frame)).toEqual({ end: 4001, starts: 0 });
    // Unknown fields (the agent's own ClientInstanceId) are fine; the same RequestId again is not.
    const accepted = JSON.stringify({ ...good, ClientInstanceId: randomUUID() });
    expect(await opened(accepted)).toEqual({ end: 'streaming', starts: 1 });
    expect(await opened(accepted)).toEqual({ end: 4001, starts: 0 });
    const seen = strict.violations.splice(0);
    expect(seen).toEqual([...cases.map(([, problem]) => expect.stringMatching(problem)), expect.stringMatching(/RequestId .* was already used/)]);
  });

  it('watchdog: an upgrade that is never answered fails with a clear message after the bound', async () => {
    const hole = await startBlackhole();
    try {
      const handle = openSession({ streamUrl: hole.url, tokenValue: 't', clientId: randomUUID(), clock: systemClock, onData: () => undefined, openTimeoutMs: 400 });
      const end = await handle.ended;
      expect(end.kind).toBe('failed');
      expect(end.kind === 'failed' && end.error.message).toBe('the data channel did not open within 0.4 s (the WebSocket upgrade was never answered)');
      expect(hole.connections()).toBe(1);
    } finally {
      await hole.close();
    }
  });

  it('strict SigV4: a signed upgrade is accepted, an unsigned or wrongly signed one is refused', async () => {
    const credentials = { accessKeyId: 'AKIDSTRICT', secretAccessKey: 'strict-secret' };
    const strict = await server({ strictSigV4: { ...credentials, region: 'eu-west-1' } });
    const sessionId = `ecs-execute-command-${randomUUID()}`;
    strict.addSession({ sessionId, tokenValue: 't', command: 'echo signed-ok' });
    const goodHeaders = await signUpgradeHeaders({ streamUrl: strict.url(sessionId), region: 'eu-west-1', credentials });
    const chunks: Buffer[] = [];
    const good = openSession({ streamUrl: strict.url(sessionId), tokenValue: 't', clientId: randomUUID(), clock: systemClock, onData: (_t, b) => chunks.push(b), headers: goodHeaders });
    expect(await good.ended).toEqual({ kind: 'channel-closed', output: '' });
    expect(Buffer.concat(chunks).toString()).toBe('signed-ok\r\n');
    const rejectedBefore = strict.stats.unsignedRejected.length;
    const unsigned = await runSession(strict, { command: 'echo no' });
    const wrongKey = await runSession(strict, { command: 'echo no' }, { headers: await signUpgradeHeaders({ streamUrl: strict.url('y'), region: 'eu-west-1', credentials: { ...credentials, secretAccessKey: 'wrong' } }) });
    for (const run of [unsigned, wrongKey]) expect(run.end.kind).not.toBe('channel-closed');
    expect(strict.stats.unsignedRejected.slice(rejectedBefore)).toEqual(['missing authorization header', expect.stringMatching(/does not match|credential scope/)]);
  });
});
