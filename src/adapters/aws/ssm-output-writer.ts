// Hands SSM output to the step's listener: attributed per instance (a `==> i-… <==` line whenever the instance
// changes, when several run), notes from opsgate on stderr, and the wrapper's refusal line noticed on the way.
import type { OutputListener, OutputStream } from '../../ports/executor.js';
import { findRefusedExit } from './ssm-wrapper.js';

/** Enough of the previous stderr chunk to find a refusal line split across two chunks. */
const REFUSAL_TAIL_CHARS = 400;

export class OutputWriter {
  private readonly lastInstance: Record<OutputStream, string | undefined> = { stdout: undefined, stderr: undefined };
  private readonly endsWithNewline: Record<OutputStream, boolean> = { stdout: true, stderr: true };
  private readonly stderrTail = new Map<string, string>();
  private readonly refused = new Map<string, number>();
  /** The listener's error: after it, nothing more is written and the step is stopped. */
  failure: unknown;

  constructor(
    private readonly onOutput: OutputListener,
    private readonly multi: boolean,
    private readonly nonce: string,
    private readonly onFailure: () => void,
  ) {}

  async write(instanceId: string, stream: OutputStream, text: string): Promise<void> {
    if (text === '' || this.failure !== undefined) return;
    if (stream === 'stderr') this.watchForRefusal(instanceId, text);
    let out = text;
    if (this.multi && this.lastInstance[stream] !== instanceId) {
      out = `${this.endsWithNewline[stream] ? '' : '\n'}==> ${instanceId} <==\n${text}`;
    }
    this.lastInstance[stream] = instanceId;
    this.endsWithNewline[stream] = text.endsWith('\n');
    try {
      await this.onOutput(stream, Buffer.from(out, 'utf8'));
    } catch (error) {
      this.failure = error;
      this.onFailure();
    }
  }

  /** A line from opsgate about this instance's output, on its own line in stderr. */
  async note(instanceId: string, text: string): Promise<void> {
    const midLine = this.lastInstance.stderr === instanceId && !this.endsWithNewline.stderr;
    await this.write(instanceId, 'stderr', `${midLine ? '\n' : ''}opsgate: ${text}\n`);
  }

  /** The step's own exit code when the wrapper refused it (194/3010) on this instance. */
  refusedExit(instanceId: string): number | undefined {
    return this.refused.get(instanceId);
  }

  private watchForRefusal(instanceId: string, text: string): void {
    const window = (this.stderrTail.get(instanceId) ?? '') + text;
    const code = findRefusedExit(window, this.nonce);
    if (code !== undefined) this.refused.set(instanceId, code);
    this.stderrTail.set(instanceId, window.slice(-REFUSAL_TAIL_CHARS));
  }
}
