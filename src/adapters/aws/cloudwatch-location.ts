// Where a CloudWatch transcript lives, as the AuditLocation the comment and job summary show: one builder for
// the sink (as the run goes) and the ledger (for earlier attempts).
import type { AuditLocation } from '../../ports/audit.js';
import { cloudWatchStreamLinks } from '../../render/console-links.js';

export interface CloudWatchPlace {
  logGroup: string;
  region: string;
  partition?: string;
}

/** Links get an absolute time range when the run's start (and, once it finished, its end) is known. */
export function cloudWatchLocation(place: CloudWatchPlace, stream?: string, range?: { start: number; end?: number }): AuditLocation {
  if (stream === undefined) return { kind: 'cloudwatch', description: `CloudWatch Logs ${place.logGroup} (${place.region})` };
  // A minute either side, so events stamped at the very start or end still fall inside the range.
  const links = cloudWatchStreamLinks({
    region: place.region,
    partition: place.partition,
    logGroup: place.logGroup,
    logStream: stream,
    ...(range ? { start: range.start - 60_000, ...(range.end !== undefined ? { end: range.end + 60_000 } : {}) } : {}),
  });
  return {
    kind: 'cloudwatch',
    description: `CloudWatch Logs ${place.logGroup}, stream ${stream} (${place.region})`,
    ...(links ? { consoleUrl: links.streamUrl, insightsUrl: links.insightsUrl } : {}),
  };
}
