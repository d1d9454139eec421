// The result comment on the merged PR (sticky, its own marker) and the job summary: per runbook the outcome,
// who approved, the window, each step's status, exit code and duration, the last lines of output, and links
// to the audit transcript. Pure; everything in the report is already redacted.
import type { PullRequestReport, RunbookReport, StepReport } from '../usecases/merge-report.js';
import type { TargetResult } from '../ports/executor.js';
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

/** Instances listed by id per status before the rest are only counted. */
const PER_TARGET_IDS = 10;

/** SSM runs a step on many instances: one line per step, grouped by status; failures keep exit code and reason. */
function perTargetLines(steps: readonly StepReport[]): string[] {
  return steps
    .filter((s) => s.perTarget?.length)
    .map((s) => {
      const groups = new Map<string, TargetResult[]>();
      for (const t of s.perTarget!) groups.set(t.status, [...(groups.get(t.status) ?? []), t]);
      const parts = [...groups.entries()].map(([status, targets]) => {
        const shown = targets.slice(0, PER_TARGET_IDS).map((t) => (status === 'succeeded' ? inlineId(t.id) : `${inlineId(t.id)} (${t.exitCode === null ? '' : `exit ${t.exitCode}, `}${escapeMarkdown(t.message)})`));
        const more = targets.length > shown.length ? ` and ${targets.length - shown.length} more` : '';
        return `${STEP_ICON[status as StepReport['status']] ?? ''} ${targets.length} ${status}: ${shown.join(', ')}${more}`;
      });
      return `- Step ${s.index + 1} on ${s.perTarget!.length} instance${s.perTarget!.length === 1 ? '' : 's'}: ${parts.join(' · ')}`;
    });
}

function inlineId(id: string): string {
  return `\`${id.replace(/`/g, "'")}\``;
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
  const head = a.chainHead ? `<br>**Audit chain head:** event ${a.chainHead.seq}, sha256 \`${a.chainHead.sha256.replace(/[^0-9a-f]/g, '')}\`` : '';
  const local = a.localCopy ? `<br>**Audit log failed mid-run:** the transcript so far was kept on the runner in ${inlineId(a.localCopy)}; its tail is in the job summary.` : '';
  return `**Audit transcript:** ${escapeMarkdown(a.description)}${links.length ? ` · ${links.join(' · ')}` : ''}${head}${local}`;
}

/** Which comparison proved that what ran is what reviewers approved. */
function digestText(report: RunbookReport): string | null {
  if (!report.digest) return null;
  const check = report.digestCheck;
  const against = !check
    ? ''
    : check.against === 'plan-comment'
      ? ` (equal to the plan comment's for ${inlineId(check.headSha.slice(0, 7))})`
      : ` (equal to the digest at the approved head ${inlineId(check.headSha.slice(0, 7))}; the PR has no plan comment)`;
  return `**Digest:** \`${report.digest.slice(0, 19)}…\`${against}`;
}

export function renderRunbookSection(report: RunbookReport, tailLines: number): string {
  const title = report.title ? ` — ${escapeMarkdown(report.title)}` : '';
  const lines = [`### \`${report.path.replace(/`/g, "'")}\`${title}`, '', outcomeLine(report.outcome), ''];
  const facts = [
    report.approvalSummary ? `**Approved:** ${escapeMarkdown(report.approvalSummary)}` : null,
    `**Window:** ${escapeMarkdown(windowText(report))}`,
    report.target ? `**Target:** ${escapeMarkdown(report.target)}` : null,
    digestText(report),
    auditLinks(report),
  ].filter((x): x is string => x !== null);
  lines.push(facts.join('<br>'), '');
  if (report.steps?.length) {
    const perTarget = perTargetLines(report.steps);
    lines.push(stepTable(report.steps), '', ...(perTarget.length ? [...perTarget, ''] : []), ...stepOutputs(report.steps, tailLines));
  }
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

/** The local copy of a transcript whose audit log failed mid-run, for the job summary (it has everything). */
export interface LocalTranscript {
  path: string;
  sha256: string;
  lines: number;
  bytes: number;
  /** The newest lines that fit the summary budget. */
  tail: string;
  tailLines: number;
}

export function renderLocalTranscript(runbookPath: string, t: LocalTranscript): string {
  const cut = t.tailLines < t.lines ? `the last ${t.tailLines} of ${t.lines} lines` : `all ${t.lines} lines`;
  return [
    `### Audit transcript of \`${runbookPath.replace(/`/g, "'")}\` kept on the runner`,
    '',
    `The audit log failed during the run; opsgate kept every line in ${inlineId(t.path)} (${t.bytes} bytes, ${t.lines} lines, sha256 \`${t.sha256}\`). Below: ${cut}.`,
    '',
    details('Transcript (JSON lines)', codeFence(t.tail, 'json')),
  ].join('\n');
}
