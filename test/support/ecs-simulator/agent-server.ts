// Loopback stand-in for the ECS Exec data channel (agent + gateway roles), one AgentSession per connection.
// Options cover appendix C of the protocol doc: KMS handshake, pty delay, faults both ways, pauses, bad
// digests, idle and handshake timeouts on an injectable clock, dropped connections, strict SigV4 upgrades, a
// strictly checked OpenDataChannel (bad ones closed with 4001 and recorded in `violations`).
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type VerifyClientCallbackAsync, type WebSocket } from 'ws';
import { AgentSession, type SessionEnv, type SessionSpec } from './agent-session.js';
import { emptyCounts, FaultInjector, seededRandom, type FaultCounts, type FaultRates } from './faults.js';
import { upgradeSignatureProblem, type SigV4Expectation } from './sigv4-check.js';
import { realClock, type SimClock } from './sim-clock.js';

export type SimulatedSession = SessionSpec;

export interface AgentServerOptions {
  /** Faults on agent → client frames. */
  faults?: FaultRates & { seed?: number };
  /** Faults on client → agent frames (input, acks). */
  inboundFaults?: FaultRates & { seed?: number };
  /** Send pause_publication every `everyMs` and start_publication `forMs` later (real time). */
  pause?: { everyMs: number; forMs: number };
  kmsDecrypt?: (ciphertext: Buffer, context: Record<string, string>) => Buffer;
  containerEnv?: Record<string, string>;
  /** The agent waits this long before its first pty read (default 1000 ms, as the agent does). */
  ptyDelayMs?: number;
  clock?: SimClock;
  /** Default 20 min (fixed for ECS Exec); counts client input only. */
  idleTimeoutMs?: number;
  /** Default 15 s. */
  handshakeTimeoutMs?: number;
  /** Reject WebSocket upgrades that are not SigV4-signed with these credentials. */
  strictSigV4?: SigV4Expectation;
}

export interface AgentStats {
  idleTimeouts: number;
  handshakeTimeouts: number;
  pauses: number;
  cuts: number;
  /** Upgrades refused in strict SigV4 mode, with the reason. */
  unsignedRejected: string[];
  /** Every input line the client sent, decrypted (control lines of the runner). */
  inputs: string[];
  /** Output payload bytes sent for the first time (before encryption), over all sessions. */
  outputBytes: number;
}

export interface AgentServer {
  url(sessionId: string): string;
  addSession(session: SimulatedSession): void;
  /** How many times each session's command was started (one per attach; the step itself runs detached). */
  starts(sessionId: string): number;
  totalStarts(): number;
  /** Drop every live connection mid-stream: no channel_closed, the pty dies, detached processes live on. */
  cutAll(): number;
  readonly rejectedFrames: string[];
  /**
   * What the real service or agent would refuse or the protocol sheet rules out: a bad OpenDataChannel (also
   * closed with 4001), an ack for a frame only sent corrupted. Every test using the simulator asserts it empty.
   */
  readonly violations: string[];
  readonly faultCounts: FaultCounts;
  readonly inboundFaultCounts: FaultCounts;
  readonly stats: AgentStats;
  close(): Promise<void>;
}

export async function startAgentServer(options: AgentServerOptions = {}): Promise<AgentServer> {
  const sessions = new Map<string, SimulatedSession>();
  const startCounts = new Map<string, number>();
  const live = new Set<AgentSession>();
  const children = new Set<ChildProcess>();
  const rejectedFrames: string[] = [];
  const violations: string[] = [];
  const faultCounts = emptyCounts();
  const inboundFaultCounts = emptyCounts();
  const stats: AgentStats = { idleTimeouts: 0, handshakeTimeouts: 0, pauses: 0, cuts: 0, unsignedRejected: [], inputs: [], outputBytes: 0 };
  const outRandom = seededRandom(options.faults?.seed ?? 1);
  const inRandom = seededRandom(options.inboundFaults?.seed ?? 2);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: signatureCheck(options, stats) });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;

  const shared: Shared = { options, startCounts, children, rejectedFrames, violations, requestIds: new Set(), stats, outgoing: () => new FaultInjector(options.faults ?? {}, outRandom, faultCounts), incoming: () => new FaultInjector({ ...options.inboundFaults, badDigestRate: 0 }, inRandom, inboundFaultCounts) };
  server.on('connection', (socket, request) => acceptConnection(socket, request.url ?? '/', sessions, live, shared));

  return {
    url: (sessionId) => `ws://127.0.0.1:${port}/v1/data-channel/${encodeURIComponent(sessionId)}?role=publish_subscribe&cell-number=AbC+/=`,
    addSession: (session) => sessions.set(session.sessionId, session),
    starts: (sessionId) => startCounts.get(sessionId) ?? 0,
    totalStarts: () => [...startCounts.values()].reduce((a, b) => a + b, 0),
    cutAll: () => {
      const cut = [...live];
      for (const session of cut) session.cut();
      stats.cuts += cut.length;
      return cut.length;
    },
    rejectedFrames,
    violations,
    faultCounts,
    inboundFaultCounts,
    stats,
    close: async () => {
      for (const session of live) session.stop();
      for (const child of children) if (child.pid) killGroup(child.pid);
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Strict mode: refuse upgrades that are not SigV4-signed with the expected credentials (403). */
function signatureCheck(options: AgentServerOptions, stats: AgentStats): VerifyClientCallbackAsync {
  return (info, done) => {
    if (!options.strictSigV4) return done(true);
    void upgradeSignatureProblem(info.req, options.strictSigV4).then((problem) => {
      if (problem) stats.unsignedRejected.push(problem);
      done(!problem, 403, problem);
    });
  };
}

/** The first frame must be a valid TEXT OpenDataChannel with the session's token; then the session takes over. */
function acceptConnection(socket: WebSocket, url: string, sessions: Map<string, SimulatedSession>, live: Set<AgentSession>, shared: Shared): void {
  const sessionId = decodeURIComponent(new URL(url, 'http://x').pathname.split('/').pop() ?? '');
  const spec = sessions.get(sessionId);
  if (!spec) return socket.close(4004, 'unknown session');
  let session: AgentSession | undefined;
  let refused = false;
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (session) return session.receive(data);
    if (refused) return;
    const problem = openDataChannelProblem(data, isBinary, spec.tokenValue, shared.requestIds);
    if (problem) {
      refused = true;
      shared.violations.push(`OpenDataChannel for ${sessionId}: ${problem}`);
      return socket.close(4001, 'bad OpenDataChannel');
    }
    session = new AgentSession(spec, socket, sessionEnv(spec.sessionId, shared));
    live.add(session);
    session.begin();
  });
  socket.on('close', () => {
    session?.stop();
    if (session) live.delete(session);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CLIENT_VERSION = /^\d+\.\d+\.\d+\.\d+$/;

/**
 * Protocol sheet 1.3: TEXT, JSON, schema version 1.0, the session's token, a fresh lower-case v4 RequestId on
 * every connect, a ClientId UUID and a plugin-style ClientVersion. Unknown fields are accepted.
 */
export function openDataChannelProblem(data: Buffer, isBinary: boolean, tokenValue: string, requestIds: Set<string>): string | undefined {
  if (isBinary) return 'the first frame is binary, not the TEXT OpenDataChannel';
  let open: unknown;
  try {
    open = JSON.parse(data.toString('utf8'));
  } catch {
    return 'the first frame is not JSON';
  }
  if (typeof open !== 'object' || open === null || Array.isArray(open)) return 'the first frame is not a JSON object';
  const o = open as Record<string, unknown>;
  if (o['MessageSchemaVersion'] !== '1.0') return `MessageSchemaVersion is ${JSON.stringify(o['MessageSchemaVersion'])}, not "1.0"`;
  if (o['TokenValue'] !== tokenValue) return 'TokenValue does not match the session';
  if (typeof o['RequestId'] !== 'string' || !UUID.test(o['RequestId'])) return `RequestId ${JSON.stringify(o['RequestId'])} is not a lower-case v4 UUID`;
  if (requestIds.has(o['RequestId'])) return `RequestId ${o['RequestId']} was already used (it must be fresh on every connect)`;
  if (typeof o['ClientId'] !== 'string' || !UUID.test(o['ClientId'])) return `ClientId ${JSON.stringify(o['ClientId'])} is not a lower-case v4 UUID`;
  if (typeof o['ClientVersion'] !== 'string' || !CLIENT_VERSION.test(o['ClientVersion'])) return `ClientVersion ${JSON.stringify(o['ClientVersion'])} is not a plugin version (n.n.n.n)`;
  requestIds.add(o['RequestId']);
  return undefined;
}

interface Shared {
  options: AgentServerOptions;
  startCounts: Map<string, number>;
  children: Set<ChildProcess>;
  rejectedFrames: string[];
  violations: string[];
  /** Every RequestId seen, to catch one reused on a reconnect. */
  requestIds: Set<string>;
  stats: AgentStats;
  outgoing(): FaultInjector;
  incoming(): FaultInjector;
}

function sessionEnv(sessionId: string, shared: Shared): SessionEnv {
  const { options, stats } = shared;
  return {
    clock: options.clock ?? realClock,
    idleTimeoutMs: options.idleTimeoutMs ?? 20 * 60_000,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 15_000,
    ptyDelayMs: options.ptyDelayMs ?? 1000,
    containerEnv: options.containerEnv ?? {},
    outgoing: shared.outgoing(),
    incoming: shared.incoming(),
    ...(options.pause ? { pause: options.pause } : {}),
    ...(options.kmsDecrypt ? { kmsDecrypt: options.kmsDecrypt } : {}),
    events: {
      started: (child) => {
        shared.children.add(child);
        child.on('exit', () => shared.children.delete(child));
        shared.startCounts.set(sessionId, (shared.startCounts.get(sessionId) ?? 0) + 1);
      },
      rejected: (problem) => shared.rejectedFrames.push(problem),
      violation: (problem) => shared.violations.push(`${sessionId}: ${problem}`),
      idleTimeout: () => stats.idleTimeouts++,
      handshakeTimeout: () => stats.handshakeTimeouts++,
      input: (bytes) => stats.inputs.push(...bytes.toString('latin1').split('\n').filter(Boolean)),
      pause: () => stats.pauses++,
      output: (bytes) => (stats.outputBytes += bytes),
    },
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
