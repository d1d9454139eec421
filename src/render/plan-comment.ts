// The plan comment: what each changed runbook will do on merge, readable on GitHub, with hidden markers the
// merge phase reads (the digest shown on the reviewed head). Always under GitHub's comment limit: step bodies
// are shortened step by step until it fits, and the comment says what was cut. Pure.
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../runbook/diagnostics.js';
import type { Target } from '../runbook/model.js';
import type { Plan, PlannedStep, RunbookPlan } from '../plan/plan.js';
import { GITHUB_COMMENT_LIMIT, clip, codeFence, details, escapeHtml, escapeInline, inlineCode, table } from './markdown.js';

export const PLAN_MARKER = '<!-- opsgate:plan -->';
/** Leaves room for the footer and for a reporter's additions. */
const BUDGET = GITHUB_COMMENT_LIMIT - 1_536;
/** Diagnostics listed in the comment beyond the 10 annotations GitHub shows per kind. */
const MAX_LISTED_DIAGNOSTICS = 50;

export interface PlanCommentOptions {
  /** Where the full plan can be read when the comment had to be shortened (job summary / workflow run). */
  fullPlanUrl?: string;
  /** Characters allowed; defaults to GitHub's limit minus a margin. */
  budget?: number;
}

/** `<!-- opsgate:digest path=<uri-encoded path> sha256:<hex> head=<sha> -->` */
export function digestMarker(path: string, digest: string, headSha: string): string {
  return `<!-- opsgate:digest path=${encodeURI(path)} ${digest} head=${headSha} -->`;
}

interface Shape {
  /** Lines of each step body shown; Infinity = all. */
  maxLines: number;
  /** Characters of each step body shown. */
  maxChars: number;
}

const SHAPES: Shape[] = [
  { maxLines: Infinity, maxChars: Infinity },
  { maxLines: 200, maxChars: 12_000 },
  { maxLines: 60, maxChars: 4_000 },
  { maxLines: 15, maxChars: 1_000 },
  { maxLines: 0, maxChars: 0 },
];

export function renderPlanComment(plan: Plan, options: PlanCommentOptions = {}): string {
  const budget = options.budget ?? BUDGET;
  for (const shape of SHAPES) {
    const cut: string[] = [];
    const body = renderWith(plan, shape, cut, options);
    if (body.length <= budget) return body;
  }
  // Even without step bodies it is too long (hundreds of runbooks): list paths and digests only.
  return renderIndexOnly(plan, budget, options);
}

function renderWith(plan: Plan, shape: Shape, cut: string[], options: PlanCommentOptions): string {
  const sections = plan.runbooks.map((rb) => renderRunbook(rb, shape, cut));
  const parts = [header(plan), ...configSection(plan.configDiagnostics), ...sections];
  if (cut.length) parts.push(truncationNote(cut, options));
  parts.push(footer(plan));
  return parts.join('\n\n');
}

function header(plan: Plan): string {
  // Markers bind a digest to a commit; a plan of the working tree (`opsgate plan`) has none to bind to.
  const isCommit = /^[0-9a-f]{7,64}$/.test(plan.headSha);
  const markers = isCommit ? plan.runbooks.filter((r) => r.digest).map((r) => digestMarker(r.path, r.digest!, plan.headSha)) : [];
  const where = isCommit ? `Planned for head \`${plan.headSha.slice(0, 7)}\`.` : 'Planned from the working tree.';
  const valid = plan.runbooks.filter((r) => r.status === 'valid').length;
  const invalid = plan.runbooks.filter((r) => r.status === 'invalid').length;
  const deleted = plan.runbooks.filter((r) => r.status === 'deleted').length;
  const counts = [`${valid} valid`, invalid ? `**${invalid} invalid**` : '', deleted ? `${deleted} deleted` : ''].filter(Boolean).join(', ');
  const title = plan.runbooks.length === 0 ? 'no runbooks changed' : `${plan.runbooks.length} runbook${plan.runbooks.length === 1 ? '' : 's'} (${counts})`;
  return [PLAN_MARKER, ...markers, `## opsgate plan: ${title}`, `${where} Nothing runs until this pull request is approved and merged.`].join('\n');
}

function configSection(diagnostics: Diagnostic[]): string[] {
  if (!diagnostics.length) return [];
  return [`### ❌ Repo config\n\n${diagnosticList(diagnostics)}`];
}

function statusIcon(rb: RunbookPlan): string {
  if (rb.status === 'deleted') return '🗑️';
  if (rb.status === 'invalid') return '❌';
  if (rb.approval && !rb.approval.approved) return '⏳';
  return '✅';
}

function renderRunbook(rb: RunbookPlan, shape: Shape, cut: string[]): string {
  const heading = `### ${statusIcon(rb)} ${inlineCode(rb.path)}${rb.title ? ` — ${escapeInline(rb.title)}` : ''}`;
  if (rb.status === 'deleted') return `${heading}\n\nDeleted in this pull request: nothing will run for it.`;
  const lines = [heading];
  if (rb.status === 'invalid') lines.push('This runbook is invalid and will not run. Fix the problems below and push again.');
  const facts: string[][] = [];
  if (rb.ticket) facts.push(['Ticket', escapeInline(rb.ticket)]);
  if (rb.targetName) facts.push(['Target', describeTarget(rb.targetName, rb.target)]);
  if (rb.window) facts.push(['Window', describeWindow(rb.window)]);
  if (rb.approval) facts.push(['Approvals', `${rb.approval.approved ? '✅' : '⏳'} ${escapeInline(rb.approval.summary)}`]);
  if (rb.digest) facts.push(['Digest', inlineCode(rb.digest)]);
  if (facts.length) lines.push(table(['', ''], facts));
  if (rb.description) lines.push(escapeInline(rb.description));
  if (rb.steps.length) lines.push(stepsTable(rb.steps), ...rb.steps.map((s) => stepBody(rb.path, s, shape, cut)));
  if (rb.diagnostics.length) lines.push(`**Problems**\n\n${diagnosticList(rb.diagnostics)}`);
  return lines.join('\n\n');
}

export function describeTarget(name: string, target: Target | undefined): string {
  if (!target) return `${inlineCode(name)} (not in the repo config)`;
  const region = 'region' in target && target.region ? `, region ${inlineCode(target.region)}` : '';
  if (target.kind === 'local') return `${inlineCode(name)}: local runner`;
  if (target.kind === 'ecs') {
    const where = [`cluster ${inlineCode(target.cluster)}`];
    if (target.service) where.push(`service ${inlineCode(target.service)}`);
    if (target.task) where.push(`task ${inlineCode(target.task)}`);
    if (target.taskDefinition) where.push(`one-off task from ${inlineCode(target.taskDefinition)}`);
    if (target.container) where.push(`container ${inlineCode(target.container)}`);
    return `${inlineCode(name)}: ECS Exec, ${where.join(', ')}${region}`;
  }
  const on = target.instanceIds?.length
    ? `instances ${target.instanceIds.map(inlineCode).join(', ')}`
    : target.tags
      ? `instances tagged ${Object.entries(target.tags)
          .map(([k, v]) => inlineCode(`${k}=${Array.isArray(v) ? v.join(',') : v}`))
          .join(', ')}`
      : `resource group ${inlineCode(target.resourceGroup ?? '?')}`;
  return `${inlineCode(name)}: SSM Run Command on ${on}, max-concurrency ${inlineCode(target.maxConcurrency)}, max-errors ${inlineCode(target.maxErrors)}${region}`;
}

function describeWindow(w: NonNullable<RunbookPlan['window']>): string {
  const side = (label: string, own?: string, utc?: string) => (own ? `${label} ${utc ?? '?'} (${escapeInline(own)} as written)` : '');
  return [side('not before', w.notBefore, w.notBeforeUtc), side('not after', w.notAfter, w.notAfterUtc)].filter(Boolean).join('; ');
}

function stepsTable(steps: PlannedStep[]): string {
  const rows = steps.map((s) => {
    const guards = [
      `timeout ${s.timeoutSeconds}s`,
      s.continueOnError ? 'continue on error' : '',
      s.kind === 'sql' ? (s.transaction ? 'one transaction' : 'no transaction') : '',
      s.maxAffectedRows !== undefined ? `max ${s.maxAffectedRows} rows` : '',
    ].filter(Boolean);
    const what = s.kind === 'sql' ? `SQL on ${inlineCode(s.database ?? '?')}` : 'shell';
    const classes = s.statements.length ? s.statements.map((st) => `${st.kind} (${st.class})`).join(', ') : '';
    return [String(s.index + 1), escapeInline(s.name), what, escapeInline(classes), guards.join(', ')];
  });
  return table(['#', 'Step', 'Runs', 'Statements', 'Guards'], rows);
}

function stepBody(path: string, step: PlannedStep, shape: Shape, cut: string[]): string {
  const language = step.kind === 'sql' ? 'sql' : 'bash';
  const lineCount = step.body.split('\n').length;
  const summary = `Step ${step.index + 1}: ${escapeHtml(step.name)} (${lineCount} line${lineCount === 1 ? '' : 's'})`;
  if (shape.maxLines === 0) {
    cut.push(`${path} step ${step.index + 1} (${lineCount} lines)`);
    return `<sub>${summary}: text omitted to fit the comment.</sub>`;
  }
  const { text, cut: wasCut } = clip(step.body, shape.maxLines, shape.maxChars);
  if (wasCut) cut.push(`${path} step ${step.index + 1} (shown ${text.split('\n').length} of ${lineCount} lines)`);
  const note = wasCut ? '\n\n_Shortened: see the full text in the job summary or with `opsgate plan`._' : '';
  // Short bodies stay open; long ones are collapsed so the comment stays scannable.
  return details(summary, `${codeFence(text, language)}${note}`, lineCount <= 15 && !wasCut);
}

export function diagnosticList(diagnostics: readonly Diagnostic[]): string {
  const sorted = sortDiagnostics(diagnostics);
  const shown = sorted.slice(0, MAX_LISTED_DIAGNOSTICS).map((d) => `- ${d.severity === 'error' ? '❌' : '⚠️'} ${escapeInline(formatDiagnostic(d))}`);
  if (sorted.length > shown.length) shown.push(`- …and ${sorted.length - shown.length} more (run \`opsgate plan\` to see all).`);
  return shown.join('\n');
}

function truncationNote(cut: string[], options: PlanCommentOptions): string {
  const where = options.fullPlanUrl ? `the [job summary](${options.fullPlanUrl})` : 'the job summary';
  const listed = cut.slice(0, 20).map((c) => `- ${escapeInline(c)}`);
  if (cut.length > 20) listed.push(`- …and ${cut.length - 20} more`);
  return `> [!NOTE]\n> This plan was too long for one GitHub comment (limit ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')} characters), so step text was shortened. The full plan is in ${where} and is printed by \`opsgate plan <runbook>\`.\n\n${listed.join('\n')}`;
}

function footer(plan: Plan): string {
  return `<sub>opsgate · config ${inlineCode(plan.configPath)} · this comment is updated on every push and review</sub>`;
}

function renderIndexOnly(plan: Plan, budget: number, options: PlanCommentOptions): string {
  const rows = plan.runbooks.map((r) => `- ${statusIcon(r)} ${inlineCode(r.path)}${r.approval ? ` — ${escapeInline(r.approval.summary)}` : ''}`);
  const note = truncationNote([`all step text and problem lists (${plan.runbooks.length} runbooks)`], options);
  // The digest markers (in the header) must survive: the list of rows is what gets cut.
  const fixed = [header(plan), note, footer(plan)].join('\n\n').length + 80;
  const kept: string[] = [];
  let used = fixed;
  for (const row of rows) {
    if (used + row.length + 1 > budget) break;
    kept.push(row);
    used += row.length + 1;
  }
  if (kept.length < rows.length) kept.push(`- …and ${rows.length - kept.length} more (see the job summary)`);
  const body = [header(plan), note, kept.join('\n'), footer(plan)].join('\n\n');
  return body;
}
