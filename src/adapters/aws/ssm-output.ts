// The output of each instance once its command has ended: the complete copy from the CloudWatch output streams
// when the target has an output log group, else SSM's own copy (first 24,000 stdout / 8,000 stderr characters),
// with a note that says what is missing and where the full copy is.
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { OutputStream } from '../../ports/executor.js';
import { errorText } from '../../run/error-text.js';
import { outputStreamName, type CommandOutputStreams } from './ssm-cloudwatch-output.js';
import { getInvocation, type OutputCopy, type SsmInvocation } from './ssm-invocations.js';
import type { OutputWriter } from './ssm-output-writer.js';
import { pause, pollDelays, type Sleep } from './ssm-poll.js';
import { NEVER_STARTED_DETAILS } from './ssm-status.js';

const SSM_STDOUT_LIMIT = 24_000;
const SSM_STDERR_LIMIT = 8_000;
/** Outputs read ahead of the one being emitted. */
const READ_AHEAD = 10;

export interface OutputSources {
  ssm: SSMClient;
  /** The command's CloudWatch output streams, when the target has an output log group. */
  streams?: CommandOutputStreams;
  targetName: string;
  sleep: Sleep;
  now: () => number;
  /** How long to keep asking for an invocation SSM does not show yet; 0 once cancelled (no time left). */
  retryWindowMs: number;
  /** An abort while reading also ends the retries: the job must end within seconds. */
  stop: AbortSignal;
}

interface FinalOutput {
  chunks: Array<[OutputStream, string]>;
  notes: string[];
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Emits every instance's output in order, reading up to 10 ahead; returns the notes per instance. */
export async function emitOutputs(invocations: SsmInvocation[], sources: OutputSources, writer: OutputWriter): Promise<Map<string, string[]>> {
  const notes = new Map<string, string[]>();
  // Results are kept as values: a failed read must not become an unhandled rejection while others are awaited.
  const reads = new Map<number, Promise<Settled<FinalOutput>>>();
  const readAhead = (i: number): void => {
    const inv = invocations[i];
    if (inv && !reads.has(i)) reads.set(i, settle(readFinalOutput(inv, sources)));
  };
  for (let i = 0; i < READ_AHEAD; i++) readAhead(i);
  for (const [i, inv] of invocations.entries()) {
    readAhead(i + READ_AHEAD);
    const read = await reads.get(i)!;
    reads.delete(i);
    const output: FinalOutput = read.ok ? read.value : { chunks: [], notes: [`output unreadable: ${errorText(read.error)}`] };
    for (const [stream, text] of output.chunks) await writer.write(inv.instanceId, stream, text);
    for (const note of output.notes) await writer.note(inv.instanceId, note);
    if (output.notes.length > 0) notes.set(inv.instanceId, output.notes);
  }
  return notes;
}

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

async function readFinalOutput(inv: SsmInvocation, sources: OutputSources): Promise<FinalOutput> {
  // Only these never ran on the instance; a cancelled or timed-out one may have printed plenty first.
  if (NEVER_STARTED_DETAILS.has(inv.details)) return { chunks: [], notes: [] };
  const chunks: FinalOutput['chunks'] = [];
  let cloudWatchProblem: string | undefined;
  const group = sources.streams?.group;
  if (sources.streams) {
    const drained = await sources.streams.drain(inv.instanceId);
    chunks.push(...drained.chunks);
    if (drained.error === undefined && drained.streamsFound > 0) return { chunks, notes: [] };
    cloudWatchProblem = drained.error !== undefined
      ? `could not read CloudWatch group ${group} (${shortErrorName(drained.error)}: logs:GetLogEvents)`
      : `CloudWatch group ${group} has no output streams for this instance (may its instance role call logs:CreateLogStream and logs:PutLogEvents on it?)`;
  }
  const copy = inv.copy ?? (await fetchCopy(inv, sources));
  if (!copy) {
    return { chunks, notes: [...(cloudWatchProblem ? [cloudWatchProblem] : []), `output unreadable: SSM shows no invocation of command ${inv.commandId} on ${inv.instanceId}`] };
  }
  // What the CloudWatch streams already gave is a prefix of the same output: skip it in SSM's copy.
  const skip = (stream: OutputStream): number => sources.streams?.emittedChars(inv.instanceId, stream) ?? 0;
  chunks.push(['stdout', copy.stdout.slice(skip('stdout'))], ['stderr', copy.stderr.slice(skip('stderr'))]);
  const notes: string[] = [];
  const hasOutput = copy.stdout !== '' || copy.stderr !== '';
  if (cloudWatchProblem && hasOutput) notes.push(`${cloudWatchProblem}; showing SSM's first 24,000/8,000 characters`);
  if (isTruncated(copy)) notes.push(truncationNote(inv, group, sources.targetName));
  return { chunks, notes };
}

function isTruncated(copy: OutputCopy): boolean {
  return [...copy.stdout].length >= SSM_STDOUT_LIMIT || [...copy.stderr].length >= SSM_STDERR_LIMIT;
}

function truncationNote(inv: SsmInvocation, group: string | undefined, targetName: string): string {
  const what = 'output truncated: SSM keeps only the first 24,000 characters of stdout and 8,000 of stderr';
  if (!group) return `${what}; no full copy was kept (set output-log-group on target "${targetName}" to keep complete output)`;
  return `${what}; the full copy is in CloudWatch Logs group ${group}, streams ${outputStreamName(inv.commandId, inv.instanceId, 'stdout')} and …/stderr`;
}

/** "AccessDeniedException" → "AccessDenied", as IAM people say it. */
function shortErrorName(error: unknown): string {
  const name = (error as { name?: string }).name;
  return name && name !== 'Error' ? name.replace(/Exception$/, '') : errorText(error);
}

/** GetCommandInvocation's copy; SSM may not show the invocation at once, so ask again for a bounded time. */
async function fetchCopy(inv: SsmInvocation, sources: OutputSources): Promise<OutputCopy | undefined> {
  const started = sources.now();
  const delays = pollDelays({ firstMs: 250, factor: 2, capMs: 2_000 });
  for (;;) {
    const seen = await getInvocation(sources.ssm, inv.commandId, inv.instanceId);
    if (seen) return seen.copy;
    if (sources.stop.aborted || sources.now() - started >= sources.retryWindowMs) return undefined;
    await pause(sources.sleep, delays.next().value, sources.stop);
  }
}
