// The one TEXT frame a client sends, first thing after the socket opens (protocol doc section 1.3).
import { randomUUID } from 'node:crypto';

/** Realistic plugin version: the agent gates behaviour on it, so never report 1.2.0.0. */
export const CLIENT_VERSION = '1.2.707.0';

export interface OpenDataChannelInput {
  tokenValue: string;
  /** Random once per process/session client and reused across reconnects. */
  clientId: string;
  /** Fresh on every (re)connect; defaults to a new v4 UUID. */
  requestId?: string;
}

export function buildOpenDataChannelFrame(input: OpenDataChannelInput): string {
  return JSON.stringify({
    MessageSchemaVersion: '1.0',
    RequestId: input.requestId ?? randomUUID(),
    TokenValue: input.tokenValue,
    ClientId: input.clientId,
    ClientVersion: CLIENT_VERSION,
  });
}
