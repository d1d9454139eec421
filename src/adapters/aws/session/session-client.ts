// WebSocket wiring for one data-channel session: opens the socket, sends OpenDataChannel, feeds frames
// to SessionProtocol, runs the resend tick and the keepalive ping, and settles once on the session end.
import WebSocket from 'ws';
import type { Clock } from '../../../ports/clock.js';
import { buildOpenDataChannelFrame } from './open-data-channel.js';
import { SessionProtocol, type DataKeyProvider } from './session-protocol.js';

export const RESEND_TICK_MS = 100;
export const KEEPALIVE_PING_MS = 5 * 60_000;
/** Give up when input stays unacked this long (the plugin uses about 5 minutes). */
export const DEFAULT_UNACKED_LIMIT_MS = 5 * 60_000;
/**
 * A session that is not streaming within this bound never will: the agent gives up on a handshake after 15 s,
 * and the plugin would hang forever on a socket that never upgrades (protocol doc 6.5).
 */
export const DEFAULT_OPEN_TIMEOUT_MS = 30_000;

export interface SessionOpenOptions {
  streamUrl: string;
  tokenValue: string;
  clientId: string;
  clock: Clock;
  onData(payloadType: number, bytes: Buffer): void;
  onReady?(customerMessage: string): void;
  onDiagnostic?(text: string): void;
  dataKeyProvider?: DataKeyProvider;
  /** Extra upgrade headers (SigV4) when the caller signs the request. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  unackedLimitMs?: number;
  /** Watchdog from the call until the stream is ready (first output or HandshakeComplete). */
  openTimeoutMs?: number;
}

export type SessionEnd =
  | { kind: 'channel-closed'; output: string }
  | { kind: 'socket-closed'; code: number; reason: string }
  | { kind: 'failed'; error: Error }
  | { kind: 'aborted' };

export interface SessionHandle {
  sendInput(bytes: Buffer): void;
  sendSize(cols: number, rows: number): void;
  /** Input frames sent but not yet acknowledged by the agent. */
  unackedInput(): number;
  /** Close the socket from our side (the session may continue on the agent). */
  close(): void;
  readonly ended: Promise<SessionEnd>;
}

export function openSession(options: SessionOpenOptions): SessionHandle {
  const { clock } = options;
  const socket = new WebSocket(options.streamUrl, {
    perMessageDeflate: false,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  socket.binaryType = 'nodebuffer';
  const stop = new AbortController();
  let opened = false;
  let settle: (end: SessionEnd) => void = () => undefined;
  const onAbort = () => settle({ kind: 'aborted' });
  const ended = new Promise<SessionEnd>((resolve) => {
    settle = (end) => {
      if (stop.signal.aborted) return;
      stop.abort();
      options.signal?.removeEventListener('abort', onAbort);
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
      resolve(end);
    };
  });
  const protocol = new SessionProtocol({
    send: (frame) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
    },
    nowMs: () => clock.now().getTime(),
    dataKeyProvider: options.dataKeyProvider,
    events: {
      onData: options.onData,
      onReady: (message) => {
        opened = true;
        options.onReady?.(message);
      },
      onDiagnostic: options.onDiagnostic,
      onChannelClosed: (output) => settle({ kind: 'channel-closed', output }),
      onFatal: (error) => settle({ kind: 'failed', error }),
    },
  });
  watchOpening(socket, options, stop.signal, () => opened, settle);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  wireSocket(socket, protocol, options, stop.signal, settle);
  return {
    sendInput: (bytes) => protocol.sendInput(bytes),
    sendSize: (cols, rows) => protocol.sendSize(cols, rows),
    unackedInput: () => protocol.unackedCount,
    close: () => settle({ kind: 'aborted' }),
    ended,
  };
}

/** The watchdog: a session that is not streaming within the bound ends with a message saying how far it got. */
function watchOpening(socket: WebSocket, options: SessionOpenOptions, stop: AbortSignal, opened: () => boolean, settle: (end: SessionEnd) => void): void {
  const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  options.clock.sleep(openTimeoutMs, stop).then(
    () => {
      if (opened()) return;
      const stage = socket.readyState === WebSocket.CONNECTING ? 'the WebSocket upgrade was never answered' : 'the agent sent nothing';
      settle({ kind: 'failed', error: new SessionOpenTimeoutError(`the data channel did not open within ${openTimeoutMs / 1000} s (${stage})`) });
    },
    () => undefined,
  );
}

function wireSocket(socket: WebSocket, protocol: SessionProtocol, options: SessionOpenOptions, stop: AbortSignal, settle: (end: SessionEnd) => void): void {
  const { clock } = options;
  socket.on('open', () => {
    socket.send(buildOpenDataChannelFrame({ tokenValue: options.tokenValue, clientId: options.clientId }));
    socket.ping(Buffer.from('keepalive'));
    void runEvery(clock, RESEND_TICK_MS, stop, () => {
      protocol.tick();
      const limit = options.unackedLimitMs ?? DEFAULT_UNACKED_LIMIT_MS;
      if (protocol.oldestUnackedAgeMs() > limit) {
        settle({ kind: 'failed', error: new Error(`input was not acknowledged by the agent for ${limit} ms`) });
      }
    });
    void runEvery(clock, KEEPALIVE_PING_MS, stop, () => socket.ping(Buffer.from('keepalive')));
  });
  socket.on('message', (data: Buffer) => protocol.receiveFrame(data));
  socket.on('close', (code, reason) => settle({ kind: 'socket-closed', code, reason: reason.toString('utf8') }));
  socket.on('error', (error) => settle({ kind: 'failed', error: new Error(`data channel error: ${error.message}`) }));
}

export class SessionOpenTimeoutError extends Error {
  override name = 'SessionOpenTimeoutError';
}

async function runEvery(clock: Clock, ms: number, signal: AbortSignal, action: () => void): Promise<void> {
  while (!signal.aborted) {
    try {
      await clock.sleep(ms, signal);
    } catch {
      return;
    }
    if (!signal.aborted) action();
  }
}
