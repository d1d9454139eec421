// `opsgate audit verify --file F` or `--log-group G --stream S [--region R]`: exit 0 ok, 1 failed, 2 usage.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { TranscriptVerifier, type VerifyReport } from '../audit/verify.js';
import { readTranscriptFile } from '../adapters/local/file-audit.js';
import { readStreamMessages } from '../adapters/aws/cloudwatch-read.js';

const USAGE = 'usage: opsgate audit verify (--file transcript.jsonl | --log-group G --stream S [--region R])\n';

function parseFlags(args: string[]): Map<string, string> | undefined {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const value = args[i + 1];
    if (!['--file', '--log-group', '--stream', '--region'].includes(name) || value === undefined) return undefined;
    flags.set(name, value);
  }
  return flags;
}

export async function auditCommand(args: string[]): Promise<number> {
  const flags = args[0] === 'verify' ? parseFlags(args.slice(1)) : undefined;
  const file = flags?.get('--file');
  const group = flags?.get('--log-group');
  const stream = flags?.get('--stream');
  if (!flags || (file ? group || stream : !(group && stream))) {
    process.stderr.write(USAGE);
    return 2;
  }
  const verifier = new TranscriptVerifier();
  let n = 0;
  try {
    if (file) {
      for await (const line of readTranscriptFile(file)) verifier.addMessage(line, `${file}:${++n}`);
    } else {
      const region = flags.get('--region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) {
        process.stderr.write('opsgate audit verify: give --region or set AWS_REGION.\n');
        return 2;
      }
      const client = new CloudWatchLogsClient({ region });
      for await (const message of readStreamMessages(client, group!, stream!)) verifier.addMessage(message, `event ${++n}`);
    }
  } catch (error) {
    process.stderr.write(`opsgate audit verify: cannot read the transcript: ${(error as Error).message}\n`);
    return 1;
  }
  return printReport(verifier.finish(), file ?? `${group} / ${stream}`);
}

function printReport(report: VerifyReport, source: string): number {
  const dup = report.duplicatesIgnored ? ` (${report.duplicatesIgnored} exact duplicate(s) from retried uploads ignored)` : '';
  if (report.ok) {
    process.stdout.write(`ok: ${source}: ${report.events} events, hash chain and per-step output checks pass${dup}\n`);
    return 0;
  }
  process.stdout.write(`FAILED: ${source}: ${report.problems.length} problem(s) in ${report.events} events${dup}\n`);
  for (const problem of report.problems) process.stdout.write(`  - ${problem}\n`);
  return 1;
}
