// Client side of the runner's record framing (runner-template.ts): turns the in-order pty bytes of one session
// into events. Data records are length-prefixed, so step output can never be mistaken for a record, whatever it
// contains. Bytes outside records (pty noise, an error before the runner started) are reported as noise.
import type { OutputStream } from '../../../ports/executor.js';

const RS = 0x1e;
const MAX_HEADER = 120;
const DATA_FOLLOWS = Symbol('data follows');

export type RunnerRecord =
  | { kind: 'started' }
  | { kind: 'hello'; stdout: number; stderr: number }
  | { kind: 'data'; stream: OutputStream; bytes: Buffer }
  | { kind: 'keepalive' }
  | { kind: 'exit'; code: number | 'lost'; how: string }
  /** The stop took effect; the exit record follows once the rest of the output is sent. */
  | { kind: 'stopped'; code: number; how: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'noise'; bytes: Buffer };

export class RunnerRecordParser {
  private readonly prefix: Buffer;
  private header: Buffer | null = null;
  private dataLeft = 0;
  private dataStream: OutputStream = 'stdout';

  constructor(token: string) {
    this.prefix = Buffer.from(`${token}:`, 'latin1');
  }

  /** True while in the middle of a data record (a cut connection then resumes from the byte offset). */
  get inData(): boolean {
    return this.dataLeft > 0;
  }

  push(chunk: Buffer): RunnerRecord[] {
    const out: RunnerRecord[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, chunk.length - at);
        out.push({ kind: 'data', stream: this.dataStream, bytes: Buffer.from(chunk.subarray(at, at + take)) });
        this.dataLeft -= take;
        at += take;
      } else if (this.header) {
        at = this.readHeader(chunk, at, out);
      } else {
        const start = chunk.indexOf(RS, at);
        const end = start < 0 ? chunk.length : start;
        if (end > at) out.push({ kind: 'noise', bytes: Buffer.from(chunk.subarray(at, end)) });
        if (start >= 0) this.header = Buffer.alloc(0);
        at = start < 0 ? chunk.length : start + 1;
      }
    }
    return out;
  }

  private readHeader(chunk: Buffer, at: number, out: RunnerRecord[]): number {
    const close = chunk.indexOf(RS, at);
    const end = close < 0 ? chunk.length : close;
    const header = Buffer.concat([this.header ?? Buffer.alloc(0), chunk.subarray(at, end)]);
    if (header.length > MAX_HEADER || !this.prefix.subarray(0, Math.min(header.length, this.prefix.length)).equals(header.subarray(0, this.prefix.length))) {
      // Not one of ours: give it back as noise (the RS included) and rescan from here.
      this.header = null;
      out.push({ kind: 'noise', bytes: Buffer.concat([Buffer.from([RS]), header]) });
      return end;
    }
    if (close < 0) {
      this.header = header;
      return chunk.length;
    }
    this.header = null;
    const record = this.decode(header.subarray(this.prefix.length).toString('latin1'));
    if (record === undefined) out.push({ kind: 'noise', bytes: Buffer.concat([Buffer.from([RS]), header, Buffer.from([RS])]) });
    else if (record !== DATA_FOLLOWS) out.push(record);
    return close + 1;
  }

  private decode(body: string): RunnerRecord | typeof DATA_FOLLOWS | undefined {
    let m: RegExpExecArray | null;
    if (body === 'S') return { kind: 'started' };
    if (body === 'K') return { kind: 'keepalive' };
    if ((m = /^H:(\d{1,15}):(\d{1,15})$/.exec(body))) return { kind: 'hello', stdout: Number(m[1]), stderr: Number(m[2]) };
    if ((m = /^([DE]):(\d{1,9})$/.exec(body))) {
      this.dataStream = m[1] === 'D' ? 'stdout' : 'stderr';
      this.dataLeft = Number(m[2]);
      return DATA_FOLLOWS;
    }
    if ((m = /^X:(\d{1,3}|lost):([A-Za-z-]*)$/.exec(body))) return { kind: 'exit', code: m[1] === 'lost' ? 'lost' : Number(m[1]), how: m[2] ?? '' };
    if ((m = /^T:(\d{1,3}):([A-Za-z-]*)$/.exec(body))) return { kind: 'stopped', code: Number(m[1]), how: m[2] ?? '' };
    if ((m = /^R:([a-z-]{1,40})$/.exec(body))) return { kind: 'refused', reason: m[1]! };
    return undefined;
  }
}
