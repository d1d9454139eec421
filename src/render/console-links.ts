// CloudWatch console deep links for an audit stream. The console's fragment format is undocumented: we only
// generate links (double encoding with '%' → '$'; Logs Insights uses '*'+hex), never parse them.

export interface StreamLinkInput {
  region: string;
  /** aws (default), aws-cn, aws-us-gov. */
  partition?: string;
  logGroup: string;
  logStream: string;
  /** Epoch ms; when both are given the links use this absolute range. */
  start?: number;
  end?: number;
}

export interface StreamLinks {
  streamUrl: string;
  insightsUrl: string;
}

export function consoleHome(region: string, partition = partitionOf(region)): string {
  const host =
    partition === 'aws-cn' ? `${region}.console.amazonaws.cn` : partition === 'aws-us-gov' ? `${region}.console.amazonaws-us-gov.com` : `${region}.console.aws.amazon.com`;
  return `https://${host}/cloudwatch/home?region=${region}`;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
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

export function cloudWatchStreamLinks(input: StreamLinkInput): StreamLinks {
  const home = consoleHome(input.region, input.partition);
  const hasRange = input.start !== undefined && input.end !== undefined;
  // Each value is encoded, then the whole suffix once more.
  const range = hasRange
    ? encodeURIComponent(`?start=${encodeURIComponent(String(input.start))}&end=${encodeURIComponent(String(input.end))}`).replace(/%/g, '$')
    : '';
  const streamUrl = `${home}#logsV2:log-groups/log-group/${consolePart(input.logGroup)}/log-events/${consolePart(input.logStream)}${range}`;
  const query = `fields @timestamp, @message\n| filter @logStream = "${input.logStream}"\n| sort @timestamp asc`;
  const time = hasRange
    ? `end~${insightsString(new Date(input.end!).toISOString())}~start~${insightsString(new Date(input.start!).toISOString())}~timeType~'ABSOLUTE~tz~'UTC`
    : `end~0~start~-86400~timeType~'RELATIVE~unit~'seconds`;
  const insightsUrl = `${home}#logsV2:logs-insights$3FqueryDetail$3D~(${time}~editorString~${insightsString(query)}~source~(~${insightsString(input.logGroup)}))`;
  return { streamUrl, insightsUrl };
}
