// CloudWatch console deep links for an audit stream. The console's fragment format is undocumented: we only
// generate links (double encoding with '%' → '$'; Logs Insights uses '*'+hex), never parse them.
import { partitionOf } from '../audit/partition.js';

export interface StreamLinkInput {
  region: string;
  /** aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc; derived from the region when absent. */
  partition?: string;
  logGroup: string;
  logStream: string;
  /** Epoch ms. With a start, the links use an absolute range (the end defaults to a day after the start). */
  start?: number;
  end?: number;
}

export interface StreamLinks {
  streamUrl: string;
  insightsUrl: string;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Console hosts per partition. aws, aws-cn and aws-us-gov are the documented regional consoles; the isolated and
 * sovereign ones come from their published console domains. Partitions not listed (aws-iso-e, aws-iso-f, new
 * ones) get no links rather than a wrong one.
 */
const CONSOLE_HOST: Record<string, (region: string) => string> = {
  aws: (region) => `${region}.console.aws.amazon.com`,
  'aws-cn': (region) => `${region}.console.amazonaws.cn`,
  'aws-us-gov': (region) => `${region}.console.amazonaws-us-gov.com`,
  'aws-iso': () => 'console.c2s.ic.gov',
  'aws-iso-b': () => 'console.sc2s.sgov.gov',
  'aws-eusc': () => 'console.amazonaws-eusc.eu',
};

/** The CloudWatch console home for a region, or undefined when the partition's console is not known. */
export function consoleHome(region: string, partition = partitionOf(region)): string | undefined {
  const host = partition ? CONSOLE_HOST[partition] : undefined;
  return host ? `https://${host(region)}/cloudwatch/home?region=${encodeURIComponent(region)}` : undefined;
}

/** encodeURIComponent twice, then '%' → '$'. */
function consolePart(text: string): string {
  return encodeURIComponent(encodeURIComponent(text)).replace(/%/g, '$');
}

/** Logs Insights string: each UTF-8 byte outside [A-Za-z0-9-_.] becomes '*' + two hex digits. */
function insightsString(text: string): string {
  let out = "'";
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.]/.test(char) ? char : `*${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A double-quoted string literal in the Logs Insights query language. */
function queryString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Links to the stream and to a Logs Insights query for it; undefined for a partition whose console is unknown. */
export function cloudWatchStreamLinks(input: StreamLinkInput): StreamLinks | undefined {
  const home = consoleHome(input.region, input.partition);
  if (!home) return undefined;
  const start = input.start;
  const end = start === undefined ? undefined : (input.end ?? start + DAY_MS);
  // Each value is encoded, then the whole suffix once more.
  const range =
    start !== undefined ? encodeURIComponent(`?start=${encodeURIComponent(String(start))}&end=${encodeURIComponent(String(end))}`).replace(/%/g, '$') : '';
  const streamUrl = `${home}#logsV2:log-groups/log-group/${consolePart(input.logGroup)}/log-events/${consolePart(input.logStream)}${range}`;
  const query = `fields @timestamp, @message\n| filter @logStream = ${queryString(input.logStream)}\n| sort @timestamp asc`;
  // A relative range empties the link a day later; without a known start, the last day is the best guess.
  const time =
    start !== undefined
      ? `end~${insightsString(new Date(end!).toISOString())}~start~${insightsString(new Date(start).toISOString())}~timeType~'ABSOLUTE~tz~'UTC`
      : `end~0~start~-86400~timeType~'RELATIVE~unit~'seconds`;
  const insightsUrl = `${home}#logsV2:logs-insights$3FqueryDetail$3D~(${time}~editorString~${insightsString(query)}~source~(~${insightsString(input.logGroup)}))`;
  return { streamUrl, insightsUrl };
}
