import { describe, expect, it } from 'vitest';
import { cloudWatchStreamLinks } from '../../src/render/console-links.js';

// The worked example from /work/shared/design/aws-facts.md "Console deep links".
const example = { region: 'eu-west-1', logGroup: '/ops/runbooks', logStream: 'restart-api/2026-01-15T10-00-00Z/i-0abc123def4567890' };
const home = 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1';

describe('console links', () => {
  it('matches the worked stream URL exactly, with and without a range', () => {
    expect(cloudWatchStreamLinks(example)!.streamUrl).toBe(
      `${home}#logsV2:log-groups/log-group/$252Fops$252Frunbooks/log-events/restart-api$252F2026-01-15T10-00-00Z$252Fi-0abc123def4567890`,
    );
    expect(cloudWatchStreamLinks({ ...example, start: 1768471200000, end: 1768474800000 })!.streamUrl).toBe(
      `${home}#logsV2:log-groups/log-group/$252Fops$252Frunbooks/log-events/restart-api$252F2026-01-15T10-00-00Z$252Fi-0abc123def4567890$3Fstart$3D1768471200000$26end$3D1768474800000`,
    );
  });

  it('matches the worked Logs Insights URL exactly', () => {
    expect(cloudWatchStreamLinks({ ...example, start: 1768471200000, end: 1768474800000 })!.insightsUrl).toBe(
      `${home}#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-01-15T11*3a00*3a00.000Z~start~'2026-01-15T10*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40timestamp*2c*20*40message*0a*7c*20filter*20*40logStream*20*3d*20*22restart-api*2f2026-01-15T10-00-00Z*2fi-0abc123def4567890*22*0a*7c*20sort*20*40timestamp*20asc~source~(~'*2fops*2frunbooks))`,
    );
  });

  it('uses the partition console host and encodes spaces and non-ASCII', () => {
    const cn = cloudWatchStreamLinks({ region: 'cn-north-1', logGroup: 'g', logStream: 's' })!;
    expect(cn.streamUrl.startsWith('https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#')).toBe(true);
    const gov = cloudWatchStreamLinks({ region: 'us-gov-west-1', partition: 'aws-us-gov', logGroup: 'g', logStream: 's' })!;
    expect(gov.streamUrl.startsWith('https://us-gov-west-1.console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#')).toBe(true);
    const named = cloudWatchStreamLinks({ region: 'us-east-1', logGroup: '/a b', logStream: 'é x' })!;
    expect(named.streamUrl).toContain('/log-group/$252Fa$2520b/log-events/$25C3$25A9$2520x');
    expect(named.insightsUrl).toContain("source~(~'*2fa*20b)");
    expect(named.insightsUrl).toContain('*22*c3*a9*20x*22');
    expect(named.insightsUrl).toContain("~(end~0~start~-86400~timeType~'RELATIVE~unit~'seconds~");
  });

  it('uses an absolute range from the start (a day when the end is unknown), never a relative one', () => {
    const start = Date.parse('2026-01-15T10:00:00Z');
    const open = cloudWatchStreamLinks({ ...example, start })!;
    expect(open.insightsUrl).toContain("end~'2026-01-16T10*3a00*3a00.000Z~start~'2026-01-15T10*3a00*3a00.000Z~timeType~'ABSOLUTE");
    expect(open.insightsUrl).not.toContain('RELATIVE');
  });

  it('escapes quotes and backslashes inside the Logs Insights string', () => {
    const links = cloudWatchStreamLinks({ region: 'us-east-1', logGroup: 'g', logStream: 'a"b\\c', start: 0, end: 1 })!;
    // filter @logStream = "a\"b\\c": the quote and the backslash are escaped with a backslash (0x5c).
    expect(links.insightsUrl).toContain('*3d*20*22a*5c*22b*5c*5cc*22');
  });
});

describe('console links in every partition, with spaces and non-ASCII names', () => {
  const cases: [string, string | undefined, string][] = [
    ['eu-west-1', undefined, 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#'],
    ['cn-northwest-1', undefined, 'https://cn-northwest-1.console.amazonaws.cn/cloudwatch/home?region=cn-northwest-1#'],
    ['us-gov-east-1', undefined, 'https://us-gov-east-1.console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-east-1#'],
    ['us-iso-east-1', undefined, 'https://console.c2s.ic.gov/cloudwatch/home?region=us-iso-east-1#'],
    ['us-isob-east-1', undefined, 'https://console.sc2s.sgov.gov/cloudwatch/home?region=us-isob-east-1#'],
    ['eusc-de-east-1', undefined, 'https://console.amazonaws-eusc.eu/cloudwatch/home?region=eusc-de-east-1#'],
    ['us-iso-west-1', 'aws-iso', 'https://console.c2s.ic.gov/cloudwatch/home?region=us-iso-west-1#'],
  ];
  for (const [region, partition, home] of cases) {
    it(`${region}${partition ? ` (${partition})` : ''}`, () => {
      const links = cloudWatchStreamLinks({ region, partition, logGroup: '/ops audit/é', logStream: 'runbooks/fix orders é.yaml/12-1', start: 0, end: 1 })!;
      expect(links.streamUrl.startsWith(home)).toBe(true);
      expect(links.streamUrl).toContain('/log-group/$252Fops$2520audit$252F$25C3$25A9/log-events/runbooks$252Ffix$2520orders$2520$25C3$25A9.yaml$252F12-1$3Fstart$3D0$26end$3D1');
      expect(links.insightsUrl.startsWith(home)).toBe(true);
      expect(links.insightsUrl).toContain("source~(~'*2fops*20audit*2f*c3*a9)");
      expect(links.insightsUrl).toContain('*22runbooks*2ffix*20orders*20*c3*a9.yaml*2f12-1*22');
    });
  }

  it('gives no link rather than a wrong one for a partition whose console is unknown', () => {
    expect(cloudWatchStreamLinks({ region: 'eu-isoe-west-1', logGroup: 'g', logStream: 's' })).toBeUndefined();
    expect(cloudWatchStreamLinks({ region: 'us-isof-south-1', logGroup: 'g', logStream: 's' })).toBeUndefined();
    expect(cloudWatchStreamLinks({ region: 'xx-moon-1', logGroup: 'g', logStream: 's' })).toBeUndefined();
    expect(cloudWatchStreamLinks({ region: 'eu-west-1', partition: 'aws-future', logGroup: 'g', logStream: 's' })).toBeUndefined();
  });
});
