// `opsgate audit verify --file F` or `--log-group G --stream S [--region R]`, optionally `--expect-head SEQ:SHA256`
// (the chain head the PR comment published): exit 0 ok, 1 failed, 2 usage.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { parseChainHead, TranscriptVerifier, type ChainHead, type VerifyReport } from '../audit/verify.js';
import { readTranscriptFile } from '../adapters/local/transcript-file.js';
import { readStreamMessages } from '../adapters/aws/cloudwatch-read.js';
import { errorText } from '../run/error-text.js';

export const AUDIT_USAGE = 'opsgate audit verify (--file transcript.jsonl | --log-group G --stream S [--region R]) [--expect-head SEQ:SHA256]';
const USAGE = `Usage: ${AUDIT_USAGE}\n`;
const FLAGS = ['--file', '--log-group', '--stream', '--region', '--expect-head'];

function parseFlags(args: string[]): Map<string, string> | undefined {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const value = args[i + 1];
    if (!FLAGS.includes(name) || value === undefined) return undefined;
    flags.set(name, value);
  }
  return flags;
}

export async function auditCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      `${USAGE}Checks a transcript's hash chain and per-step output; with --expect-head (printed in the PR comment and job summary) ` +
        'also that nothing was cut from or added after its end. Exit 0 ok, 1 a problem found, 2 usage.\n',
    );
    return 0;
  }
  const flags = args[0] === 'verify' ? parseFlags(args.slice(1)) : undefined;
  const file = flags?.get('--file');
  const group = flags?.get('--log-group');
  const stream = flags?.get('--stream');
  const headText = flags?.get('--expect-head');
  const head = headText === undefined ? undefined : parseChainHead(headText);
  if (!flags || (file ? group || stream : !(group && stream)) || (headText !== undefined && !head)) {
    process.stderr.write(headText !== undefined && !head ? `opsgate audit verify: --expect-head wants SEQ:SHA256 (64 hex digits), got "${headText}".\n` : USAGE);
    return 2;
  }
  const region = flags.get('--region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!file && !region) {
    process.stderr.write('opsgate audit verify: give --region or set AWS_REGION.\n');
    return 2;
  }
  const messages = file ? labelled(readTranscriptFile(file), (n) => `${file}:${n}`) : labelled(readStreamMessages(new CloudWatchLogsClient({ region }), group!, stream!), (n) => `event ${n}`);
  return verifyFrom(messages, file ?? `${group} / ${stream}`, head);
}

async function* labelled(messages: AsyncIterable<string>, label: (n: number) => string): AsyncGenerator<[string, string]> {
  let n = 0;
  for await (const message of messages) yield [message, label(++n)];
}

async function verifyFrom(messages: AsyncIterable<[string, string]>, source: string, head: ChainHead | undefined): Promise<number> {
  const verifier = new TranscriptVerifier(head);
  try {
    for await (const [message, where] of messages) verifier.addMessage(message, where);
  } catch (error) {
    process.stderr.write(`opsgate audit verify: cannot read the transcript ${source}: ${errorText(error)}\n`);
    return 1;
  }
  return printReport(verifier.finish(), source, head !== undefined);
}

function printReport(report: VerifyReport, source: string, headChecked: boolean): number {
  const dup = report.duplicatesIgnored ? ` (${report.duplicatesIgnored} duplicate(s) left by retried uploads, identical to the first copy, ignored)` : '';
  const head = report.head ? `head ${report.head.seq}:${report.head.sha256}` : 'no head';
  if (report.ok) {
    const checks = headChecked ? 'hash chain, per-step output and the published head check out' : 'hash chain and per-step output checks pass (give --expect-head to check the end too)';
    process.stdout.write(`ok: ${source}: ${report.events} events, ${checks}${dup}; ${head}\n`);
    return 0;
  }
  process.stdout.write(`FAILED: ${source}: ${report.problems.length} problem(s) in ${report.events} events${dup}; ${head}\n`);
  for (const problem of report.problems) process.stdout.write(`  - ${problem}\n`);
  return 1;
}
