// After a SendCommand that got no usable answer: was the command accepted? One lookup with ListCommands, filtered
// to AWS-RunShellScript commands sent since shortly before the send, for the reference the send's Comment carries.
import { ListCommandsCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { errorText } from '../../run/error-text.js';
import { sendRefTag } from './ssm-send.js';

/** The runner's clock and SSM's may disagree; look a little further back than the send. */
const CLOCK_SKEW_MARGIN_MS = 15 * 60_000;
/** 20 pages of 50: a busy account may send many commands, but the lookup must end. */
const MAX_LOOKUP_PAGES = 20;

export type LookupResult =
  | { found: string }
  /** No command carries the reference (SSM's listing can lag, so "most likely not accepted"). */
  | { notFound: Date }
  | { failed: string };

export async function findSentCommand(ssm: SSMClient, ref: string, sentAt: number): Promise<LookupResult> {
  const since = new Date(sentAt - CLOCK_SKEW_MARGIN_MS);
  const tag = sendRefTag(ref);
  const filters = [
    { key: 'InvokedAfter' as const, value: since.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    { key: 'DocumentName' as const, value: 'AWS-RunShellScript' },
  ];
  let token: string | undefined;
  try {
    for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
      const out = await ssm.send(new ListCommandsCommand({ Filters: filters, MaxResults: 50, NextToken: token }));
      const hit = out.Commands?.find((c) => c.Comment?.includes(tag) && c.CommandId);
      if (hit) return { found: hit.CommandId! };
      token = out.NextToken;
      if (!token) return { notFound: since };
    }
  } catch (error) {
    return { failed: errorText(error) };
  }
  return { failed: `more than ${MAX_LOOKUP_PAGES * 50} commands were sent since ${since.toISOString()}; opsgate stopped looking` };
}
