// The "container" side of a simulated session: the command runs on a real pty (util-linux `script`) on this
// machine, split shell-style and exec'd without a shell like the agent's container mode (protocol doc 8), with
// output cut into ≤1024-byte chunks that never split a UTF-8 sequence (protocol doc 6.4).
import { spawn, type ChildProcess } from 'node:child_process';
import { parse, quote } from 'shell-quote';

export const CHUNK_BYTES = 1024;

/** argv as the agent would exec it: quotes honoured, operators such as `;` kept as literal words. */
export function agentArgv(command: string): string[] {
  return parse(command, (name) => `$${name}`).map((entry) => {
    if (typeof entry === 'string') return entry;
    if ('op' in entry) return entry.op === 'glob' ? (entry as { pattern: string }).pattern : entry.op;
    if ('comment' in entry) return `#${entry.comment}`;
    return String(entry);
  });
}

export function spawnOnPty(command: string, env: Record<string, string>): ChildProcess {
  const argv = agentArgv(command);
  // `script -c` hands its string to a shell; quoting each word keeps the argv exactly as split above.
  return spawn('script', ['-q', '-e', '-f', '-c', quote(argv), '/dev/null'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, ...env, SHELL: '/bin/sh', TERM: 'xterm-256color', LANG: process.env.LANG ?? 'C.UTF-8' },
    detached: true, // own process group, so a cut session can take the pty's processes down like the agent does
  });
}

/** Splits output into chunks of at most 1024 bytes on UTF-8 boundaries, carrying an incomplete tail. */
export class Utf8Chunker {
  private carry = Buffer.alloc(0);

  push(bytes: Buffer): Buffer[] {
    const all = this.carry.length ? Buffer.concat([this.carry, bytes]) : bytes;
    const chunks: Buffer[] = [];
    let at = 0;
    while (all.length - at > CHUNK_BYTES) {
      const cut = at + safeCut(all, at + CHUNK_BYTES, at);
      chunks.push(Buffer.from(all.subarray(at, cut)));
      at = cut;
    }
    const tail = incompleteTail(all, at);
    if (all.length - tail > at) chunks.push(Buffer.from(all.subarray(at, all.length - tail)));
    this.carry = Buffer.from(all.subarray(all.length - tail));
    return chunks;
  }

  flush(): Buffer[] {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return rest.length ? [rest] : [];
  }
}

function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 0;
  if (lead >= 0xc2) return 2;
  return 0;
}

/** Offset (from start) of a cut at or before `limit` that leaves no rune split; invalid bytes pass through. */
function safeCut(bytes: Buffer, limit: number, start: number): number {
  for (let back = 1; back <= 3 && limit - back > start; back++) {
    const byte = bytes[limit - back]!;
    if ((byte & 0xc0) !== 0x80) return sequenceLength(byte) > back ? limit - back - start : limit - start;
  }
  return limit - start;
}

function incompleteTail(bytes: Buffer, start: number): number {
  for (let back = 1; back <= 3 && bytes.length - back >= start; back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) !== 0x80) return sequenceLength(byte) > back ? back : 0;
  }
  return 0;
}
