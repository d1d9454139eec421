// The audit event model: versioned JSON, one event per line, each chained to the previous line by sha256.
// Pure: no I/O. Output bytes that are not valid UTF-8 are carried as base64 so nothing is lost.
import { createHash } from 'node:crypto';

export const AUDIT_EVENT_VERSION = 1;
/** CloudWatch caps one event at 1 MB including 26 bytes of overhead. */
export const MAX_MESSAGE_BYTES = 1_048_550;
/**
 * Raw output bytes per step.output event; JSON escaping can grow this 6x, still under MAX_MESSAGE_BYTES. Half a
 * KiB under 128 KiB so that eight plain-text events and their envelopes fill one 1 MiB PutLogEvents batch.
 */
export const OUTPUT_PIECE_BYTES = 128 * 1024 - 512;

export type AuditEventType = 'run.started' | 'target.resolved' | 'step.started' | 'step.output' | 'step.finished' | 'run.finished';

export interface AuditEvent {
  v: number;
  seq: number;
  /** sha256 (hex) of the previous event's line; "" for the first. */
  prev: string;
  time: string;
  type: AuditEventType;
  [key: string]: unknown;
}

/** A part of an event line too large for one CloudWatch event. */
export interface AuditPart {
  v: number;
  type: 'part';
  /** sha256 of the whole line the parts rebuild. */
  of: string;
  i: number;
  n: number;
  text: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes output bytes losslessly: UTF-8 text when valid, base64 otherwise. */
export function encodeOutputBytes(bytes: Uint8Array): { encoding: 'utf8'; text: string } | { encoding: 'base64'; data: string } {
  try {
    return { encoding: 'utf8', text: strictUtf8.decode(bytes) };
  } catch {
    return { encoding: 'base64', data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
}

export function decodeOutputBytes(event: Record<string, unknown>): Buffer {
  if (event.encoding === 'base64' && typeof event.data === 'string') return Buffer.from(event.data, 'base64');
  if (typeof event.text === 'string') return Buffer.from(event.text, 'utf8');
  throw new Error('step.output event has neither text nor base64 data');
}

/** Parses one stored message; anything that is not a JSON object gets a message naming where it was found. */
export function parseAuditMessage(message: string, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    const preview = message.length > 60 ? `${message.slice(0, 60)}…` : message;
    throw new Error(`${where} is not an opsgate audit event (not a JSON object: ${JSON.stringify(preview)}); the transcript was edited or something else writes there. Check it with \`opsgate audit verify\`.`);
  }
  return parsed as Record<string, unknown>;
}

/** Splits a line into part events when it is too big for one CloudWatch event; otherwise returns it alone. */
export function splitLine(line: string, maxBytes = MAX_MESSAGE_BYTES): string[] {
  if (Buffer.byteLength(line, 'utf8') <= maxBytes) return [line];
  // Each UTF-16 unit costs at most 3 UTF-8 bytes after JSON escaping of an already-JSON line; leave room for the frame.
  const unitsPerPart = Math.floor((maxBytes - 400) / 3);
  const pieces: string[] = [];
  for (let start = 0; start < line.length; ) {
    let end = Math.min(line.length, start + unitsPerPart);
    const last = line.charCodeAt(end - 1);
    if (end < line.length && last >= 0xd800 && last <= 0xdbff) end -= 1; // never split a surrogate pair
    pieces.push(line.slice(start, end));
    start = end;
  }
  const of = sha256Hex(line);
  return pieces.map((text, i) => JSON.stringify({ v: AUDIT_EVENT_VERSION, type: 'part', of, i, n: pieces.length, text } satisfies AuditPart));
}
