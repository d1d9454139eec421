// The result comment on the merged PR (sticky, its own marker) and the job summary: per runbook the outcome,
// who approved, the window, each step's status, exit code and duration, the last lines of output, and links
// to the audit transcript. Pure; everything in the report is already redacted.
import type { PullRequestReport, RunbookReport, StepReport } from '../usecases/merge-report.js';
import type { Outcome } from '../run/outcome.js';
import { formatWindow } from '../policy/window.js';
import { codeFence, details } from './markdown.js';

export const RESULT_COMMENT_MARKER = '<!-- opsgate:result -->';
/** GitHub refuses bodies over 65,536 characters; keep clear of it. */
export const RESULT_COMMENT_LIMIT = 60_000;

const ICON: Record<Outcome['decision'], string> = { proceed: '✅', refuse: '⛔', error: '❌' };
const STEP_ICON: Record<StepReport['status'], string> = {
  succeeded: '✅',
  failed: '❌',
  'timed-out': '⏱️',
  cancelled: '🛑',
  error: '❌',
  'not-run': '⏭️',
};

export interface ResultRenderOptions {
  workflowRunUrl?: string;
  /** Lines of output shown per step (the newest ones). */
  tailLines?: number;
  /** Total size budget; output is cut first, then steps of later runbooks. */
  limit?: number;
  /** Shown while the job is still running or when it was cancelled before it could finish. */
  note?: string;
}

/**
 * Neutralises markdown, HTML and @mentions in text that came from users (titles, messages, names). Newlines
 * become spaces, so only inline syntax can matter: emphasis, code, links, tables, strikethrough.
 */
function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/@(?=[A-Za-z0-9])/g, '@\u200b')
    .replace(/\r?\n/g, ' ');
}

/** For text inside HTML tags such as <summary>, where markdown escapes would show literally. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}

/** The first rendering that fits; the last one is cut hard with a note. */
function fitComment(limit: number, renderings: (() => string)[]): string {
  let body = '';
  for (const render of renderings) {
    body = render();
    if (body.length <= limit) return body;
  }
  const note = '\n\n_(cut to fit a GitHub comment; the job summary and the audit transcript have everything)_\n';
  return body.slice(0, limit - note.length) + note;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

function outcomeLine(outcome: Outcome): string {
  return `${ICON[outcome.decision]} **${outcome.reasonCode}**${outcome.message ? ` — ${escapeMarkdown(outcome.message)}` : ''}`;
}

/** The window in UTC and in the author's own offset, like the plan showed it. */
function windowText(report: RunbookReport): string {
  const w = report.window;
  if (!w || (!w.notBefore && !w.notAfter)) return 'any time';
  try {
    return formatWindow(w);
  } catch {
    return [w.notBefore && `from ${w.notBefore}`, w.notAfter && `until ${w.notAfter}`].filter(Boolean).join(' ');
  }
}

function stepTable(steps: readonly StepReport[]): string {
  const rows = steps.map(
    (s) =>
      `| ${s.index + 1} | ${escapeMarkdown(s.name)} | ${STEP_ICON[s.status]} ${s.status} | ${s.exitCode ?? '–'} | ${formatDuration(s.durationMs)} | ${escapeMarkdown(s.message)} |`,
  );
  return ['| # | step | status | exit | duration | |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function stepOutputs(steps: readonly StepReport[], tailLines: number): string[] {
  return steps
    .filter((s) => s.outputTail.length > 0)
    .map((s) => {
      const tail = s.outputTail.slice(-tailLines);
      const cut = s.outputTail.length > tail.length ? `, last ${tail.length} lines` : '';
      return details(`Output of step ${s.index + 1}: ${escapeHtml(s.name)}${cut}`, codeFence(tail.join('\n'), 'text'));
    });
}

function auditLinks(report: RunbookReport): string | null {
  const a = report.audit;
  if (!a) return null;
  const links = [a.consoleUrl ? `[log stream](${a.consoleUrl})` : null, a.insightsUrl ? `[Logs Insights query](${a.insightsUrl})` : null].filter(Boolean);
  return `**Audit transcript:** ${escapeMarkdown(a.description)}${links.length ? ` · ${links.join(' · ')}` : ''}`;
}

export function renderRunbookSection(report: RunbookReport, tailLines: number): string {
  const title = report.title ? ` — ${escapeMarkdown(report.title)}` : '';
  const lines = [`### \`${report.path.replace(/`/g, "'")}\`${title}`, '', outcomeLine(report.outcome), ''];
  const facts = [
    report.approvalSummary ? `**Approved:** ${escapeMarkdown(report.approvalSummary)}` : null,
    `**Window:** ${escapeMarkdown(windowText(report))}`,
    report.target ? `**Target:** ${escapeMarkdown(report.target)}` : null,
    report.digest ? `**Digest:** \`${report.digest.slice(0, 19)}…\`` : null,
    auditLinks(report),
  ].filter((x): x is string => x !== null);
  lines.push(facts.join('<br>'), '');
  if (report.steps?.length) lines.push(stepTable(report.steps), '', ...stepOutputs(report.steps, tailLines));
  return lines.join('\n').trimEnd();
}

export function renderResultComment(report: PullRequestReport, options: ResultRenderOptions = {}): string {
  const limit = options.limit ?? RESULT_COMMENT_LIMIT;
  const build = (tailLines: number, withSteps: boolean) => {
    const head = [
      RESULT_COMMENT_MARKER,
      `## opsgate result for #${report.number}: ${ICON[report.outcome.decision]} ${report.outcome.reasonCode}`,
      '',
      `Merged as \`${report.mergeSha.slice(0, 7)}\`${options.workflowRunUrl ? ` · [workflow run](${options.workflowRunUrl})` : ''}`,
      options.note ? `\n> ${escapeMarkdown(options.note)}` : '',
      '',
    ];
    const sections = report.runbooks.map((r) => renderRunbookSection(withSteps ? r : { ...r, steps: r.steps?.map((s) => ({ ...s, outputTail: [] })) }, tailLines));
    if (report.runbooks.length === 0) sections.push(outcomeLine(report.outcome));
    const deleted = report.deleted.length ? [`Deleted runbooks (nothing to run): ${report.deleted.map((p) => `\`${p.replace(/`/g, "'")}\``).join(', ')}`] : [];
    return [...head, ...sections.flatMap((s) => [s, '']), ...deleted].join('\n').trimEnd() + '\n';
  };
  return fitComment(limit, [() => build(options.tailLines ?? 20, true), () => build(5, true), () => build(0, false)]);
}
