// Optional Slack notifications through an incoming webhook: who started what, where, approved by whom, and
// the outcome. Best effort: a failure is a warning, never a reason to stop or fail the run. The text goes
// through the same masking as everything else opsgate publishes (`redact`) before it leaves the runner.
import type { PullRequestInfo } from '../../ports/github.js';
import type { RunbookReport } from '../../usecases/merge-report.js';
import { errorText } from '../../run/error-text.js';

export interface SlackNotifier {
  /** Never throws. `timeoutMs` overrides the default, e.g. short while the job is being cancelled. */
  notify(event: 'start' | 'end', pr: PullRequestInfo, report: RunbookReport, timeoutMs?: number): Promise<void>;
}

export interface SlackOptions {
  webhookUrl: string;
  repository: string;
  workflowRunUrl?: string;
  warn(message: string): void;
  /** Masks secrets in the message text (the publication mask: secret values and policy.redact patterns). */
  redact(text: string): string;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Slack's mrkdwn treats <, > and & specially; user text must not open links or mentions. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(event: 'start' | 'end', pr: PullRequestInfo, report: RunbookReport, repository: string, runUrl?: string): { text: string } {
  const what = `\`${slackEscape(report.path)}\`${report.title ? ` (${slackEscape(report.title)})` : ''}`;
  const where = report.target ? ` on target \`${slackEscape(report.target)}\`` : '';
  const pull = `<${pr.htmlUrl}|${slackEscape(repository)}#${pr.number}>`;
  const run = runUrl ? ` · <${runUrl}|workflow run>` : '';
  if (event === 'start') {
    const approvers = report.approvers?.length ? report.approvers.map(slackEscape).join(', ') : 'nobody recorded';
    return { text: `:arrow_forward: opsgate started ${what}${where} from ${pull} by ${slackEscape(pr.author)}, approved by ${approvers}${run}` };
  }
  const icon = report.outcome.decision === 'proceed' ? ':white_check_mark:' : report.outcome.reasonCode === 'cancelled' ? ':octagonal_sign:' : ':x:';
  return { text: `${icon} opsgate finished ${what}${where} from ${pull}: ${report.outcome.reasonCode} — ${slackEscape(report.outcome.message)}${run}` };
}

/** Masks the report's text before it is escaped (escaping could hide a secret) and the finished text again. */
function maskedMessage(options: SlackOptions, event: 'start' | 'end', pr: PullRequestInfo, report: RunbookReport): { text: string } {
  const masked: RunbookReport = JSON.parse(JSON.stringify(report), (_key, value: unknown) => (typeof value === 'string' ? options.redact(value) : value)) as RunbookReport;
  const { text } = slackMessage(event, pr, masked, options.repository, options.workflowRunUrl);
  return { text: options.redact(text) };
}

export function createSlackNotifier(options: SlackOptions): SlackNotifier {
  const send = options.fetch ?? fetch;
  return {
    async notify(event, pr, report, timeoutMs) {
      try {
        const response = await send(options.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(maskedMessage(options, event, pr, report)),
          signal: AbortSignal.timeout(timeoutMs ?? options.timeoutMs ?? 5000),
        });
        if (!response.ok) options.warn(`Slack notification (${event}) was refused: HTTP ${response.status}. The run is not affected.`);
      } catch (error) {
        options.warn(options.redact(`Slack notification (${event}) failed: ${errorText(error)}. The run is not affected.`));
      }
    },
  };
}
