// The plan comment: what each changed runbook will do on merge, readable on GitHub, with hidden markers the
// merge phase reads (the digest shown on the reviewed head). Always under GitHub's comment limit: step bodies
// and problem lists are shortened step by step until it fits, and the comment says what was cut. Every piece
// of text from the PR (paths, titles, step names, messages, team names) is escaped and cannot ping anyone. Pure.
import { sortDiagnostics, type Diagnostic } from '../runbook/diagnostics.js';
import type { Target } from '../runbook/model.js';
import { OPSGATE_VERSION, type Plan, type PlanNotice, type PlannedStep, type RunbookPlan } from '../plan/plan.js';
import { describeWindow, formatDuration } from '../plan/plan-text.js';
import { digestMarker, PLAN_MARKER } from '../plan/digest-marker.js';
import { GITHUB_COMMENT_LIMIT, clip, codeFence, details, escapeHtml, escapeInline, inlineCode, table } from './markdown.js';

/** Leaves room for a reporter's additions. */
const BUDGET = GITHUB_COMMENT_LIMIT - 1_536;
/** The index table comes first when a PR changes at least this many runbooks. */
const INDEX_FROM = 2;

export interface PlanCommentOptions {
  /** Where the full plan can be read when the comment had to be shortened (job summary / workflow run). */
  fullPlanUrl?: string;
  /** Size allowed, in the unit `measure` counts; defaults to GitHub's comment limit minus a margin. */
  budget?: number;
  /** Size of a text: characters for comments (the default), bytes for the job summary. */
  measure?: (text: string) => number;
}

/** "sha256:0123456789ab": what tables show; the marker keeps the full digest. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

interface Shape {
  /** Lines of each step body shown; 0 = none. */
  maxLines: number;
  /** Characters of each step body shown. */
  maxChars: number;
  /** Problems listed per runbook. */
  maxProblems: number;
}

const SHAPES: Shape[] = [
  { maxLines: Infinity, maxChars: Infinity, maxProblems: 50 },
  { maxLines: 200, maxChars: 12_000, maxProblems: 50 },
  { maxLines: 60, maxChars: 4_000, maxProblems: 20 },
  { maxLines: 15, maxChars: 1_000, maxProblems: 10 },
  { maxLines: 0, maxChars: 0, maxProblems: 5 },
];

export function renderPlanComment(plan: Plan, options: PlanCommentOptions = {}): string {
  const budget = options.budget ?? BUDGET;
  const measure = options.measure ?? ((text: string) => text.length);
  for (const shape of SHAPES) {
    const body = renderWith(plan, shape, options);
    if (measure(body) <= budget) return body;
  }
  // Even without step bodies it is too long: the index, the markers and the notes only.
  const body = renderIndexOnly(plan, budget, measure, options);
  if (measure(body) > budget || body.length > GITHUB_COMMENT_LIMIT) {
    throw new Error(`The plan for ${plan.runbooks.length} runbooks does not fit in ${budget} even as an index; the PR phase caps runbooks per PR to prevent this.`);
  }
  return body;
}

function renderWith(plan: Plan, shape: Shape, options: PlanCommentOptions): string {
  const cut: string[] = [];
  const sections = plan.runbooks.map((rb) => renderRunbook(rb, plan, shape, cut));
  const parts = [header(plan), ...notices(plan.notices), ...indexSection(plan), ...configSection(plan), ...sections];
  if (cut.length) parts.push(truncationNote(cut, options));
  parts.push(footer(plan));
  return parts.join('\n\n');
}

function isCommit(sha: string): boolean {
  return /^[0-9a-f]{7,64}$/.test(sha);
}

function header(plan: Plan): string {
  // Markers bind a digest to a commit; a plan of the working tree (`opsgate plan`) has none to bind to.
  const commit = isCommit(plan.headSha);
  const markers = commit ? plan.runbooks.filter((r) => r.digest).map((r) => digestMarker(r.path, r.digest!, plan.headSha)) : [];
  const where = commit ? `Planned for head \`${plan.headSha.slice(0, 7)}\`.` : 'Planned from the working tree.';
  const count = (status: RunbookPlan['status']) => plan.runbooks.filter((r) => r.status === status).length;
  const [valid, invalid, deleted] = [count('valid'), count('invalid'), count('deleted')];
  const counts = [`${valid} valid`, invalid ? `**${invalid} invalid**` : '', deleted ? `${deleted} deleted` : ''].filter(Boolean).join(', ');
  const n = plan.runbooks.length;
  const stopped = plan.notices?.some((x) => x.kind === 'caution');
  const title = n > 0 ? `${n} runbook${n === 1 ? '' : 's'} (${counts})` : stopped ? 'not planned' : 'no runbooks changed';
  return [PLAN_MARKER, ...markers, `## opsgate plan: ${title}`, `${where} Nothing runs until this pull request is approved and merged.`].join('\n');
}

function notices(list: readonly PlanNotice[] = []): string[] {
  return list.map((n) => `> [!${n.kind.toUpperCase()}]\n> ${escapeInline(n.text)}`);
}

function statusIcon(rb: RunbookPlan): string {
  if (rb.status === 'deleted') return '🗑️';
  if (rb.status === 'invalid') return '❌';
  if (rb.approval && !rb.approval.approved) return '⏳';
  return '✅';
}

function statusWord(rb: RunbookPlan): string {
  if (rb.status !== 'valid') return `${statusIcon(rb)} ${rb.status}`;
  if (!rb.approval) return '✅ valid';
  return rb.approval.approved ? '✅ approved' : '⏳ waiting for approval';
}

/** One row per runbook, so a reviewer sees the whole PR before the details. */
function indexRows(plan: Plan): string[][] {
  return plan.runbooks.map((rb) => [
    inlineCode(rb.path),
    statusWord(rb),
    rb.targetName ? inlineCode(rb.targetName) : '',
    rb.status === 'valid' ? escapeInline(describeWindow(rb.window)) : '',
    rb.approval ? escapeInline(rb.approval.summary) : '',
    rb.digest ? inlineCode(shortDigest(rb.digest)) : '',
  ]);
}

const INDEX_HEADERS = ['Runbook', 'Status', 'Target', 'Window', 'Approvals', 'Digest'];

function indexSection(plan: Plan): string[] {
  return plan.runbooks.length >= INDEX_FROM ? [table(INDEX_HEADERS, indexRows(plan))] : [];
}

function configSection(plan: Plan): string[] {
  if (!plan.configDiagnostics.length) return [];
  return [`### ❌ Repo config ${inlineCode(plan.configPath)}\n\n${diagnosticList(plan.configDiagnostics, plan)}`];
}

function facts(rb: RunbookPlan): string {
  const list: [string, string][] = [];
  if (rb.ticket) list.push(['Ticket', escapeInline(rb.ticket)]);
  if (rb.targetName) list.push(['Target', describeTarget(rb.targetName, rb.target)]);
  if (rb.status === 'valid') list.push(['Window', escapeInline(describeWindow(rb.window))]);
  if (rb.approval) list.push(['Approvals', `${rb.approval.approved ? '✅' : '⏳'} ${escapeInline(rb.approval.summary)}`]);
  if (rb.digest) list.push(['Digest', inlineCode(shortDigest(rb.digest))]);
  return list.map(([k, v]) => `- **${k}:** ${v}`).join('\n');
}

function renderRunbook(rb: RunbookPlan, plan: Plan, shape: Shape, cut: string[]): string {
  const heading = `### ${statusIcon(rb)} ${inlineCode(rb.path)}${rb.title ? ` — ${escapeInline(rb.title)}` : ''}`;
  if (rb.status === 'deleted') return `${heading}\n\nDeleted in this pull request: nothing will run for it.`;
  const lines = [heading];
  if (rb.status === 'invalid') lines.push('This runbook is invalid and will not run. Fix the problems below and push again.');
  const list = facts(rb);
  if (list) lines.push(list);
  if (rb.description) lines.push(escapeInline(rb.description));
  if (rb.steps.length) lines.push(stepsTable(rb.steps), ...rb.steps.map((s) => stepBody(rb.path, s, shape, cut)));
  if (rb.diagnostics.length) lines.push(`**Problems**\n\n${diagnosticList(rb.diagnostics, plan, shape.maxProblems, cut)}`);
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

function runsOn(step: PlannedStep): string {
  if (step.kind === 'sql') return `SQL on ${inlineCode(step.database ?? '?')}`;
  return step.workingDirectory ? `shell in ${inlineCode(step.workingDirectory)}` : 'shell';
}

/** "UPDATE (dml), SELECT (read) ×2": each kind once, in order of first appearance, with a count. */
function statementSummary(statements: PlannedStep['statements']): string {
  const counts = new Map<string, number>();
  for (const st of statements) counts.set(`${st.kind} (${st.class})`, (counts.get(`${st.kind} (${st.class})`) ?? 0) + 1);
  return [...counts].map(([what, n]) => (n === 1 ? what : `${what} ×${n}`)).join(', ');
}

function stepsTable(steps: PlannedStep[]): string {
  const rows = steps.map((s) => {
    const guards = [
      `timeout ${formatDuration(s.timeoutSeconds)}`,
      s.continueOnError ? 'continues on error' : '',
      s.kind === 'sql' ? (s.transaction ? 'one transaction' : 'no transaction') : '',
      s.maxAffectedRows !== undefined ? `at most ${s.maxAffectedRows} rows` : '',
    ].filter(Boolean);
    const classes = statementSummary(s.statements);
    return [String(s.index + 1), escapeInline(s.name), runsOn(s), escapeInline(classes), guards.join(', ')];
  });
  return table(['#', 'Step', 'Runs', 'Statements', 'Guards'], rows);
}

/** Lines of a step body; the newline that ends a YAML block scalar does not start another line. */
export function lineCount(body: string): number {
  return body.replace(/\r?\n$/, '').split('\n').length;
}

function stepBody(path: string, step: PlannedStep, shape: Shape, cut: string[]): string {
  const language = step.kind === 'sql' ? 'sql' : 'sh';
  const lines = lineCount(step.body);
  const where = step.workingDirectory ? ` in ${escapeHtml(step.workingDirectory)}` : '';
  const summary = `Step ${step.index + 1}: ${escapeHtml(step.name)}${where} (${lines} line${lines === 1 ? '' : 's'})`;
  if (shape.maxLines === 0) {
    cut.push(`${path} step ${step.index + 1} (${lines} lines)`);
    return `<sub>${summary}: text omitted to fit the comment.</sub>`;
  }
  const { text, cut: wasCut } = clip(step.body, shape.maxLines, shape.maxChars);
  if (wasCut) cut.push(`${path} step ${step.index + 1} (shown ${lineCount(text)} of ${lines} lines)`);
  const note = wasCut ? '\n\n_Shortened: see the full text in the job summary or with `opsgate plan`._' : '';
  // Short bodies stay open; long ones are collapsed so the comment stays scannable.
  return details(summary, `${codeFence(text, language)}${note}`, lines <= 15 && !wasCut);
}

/** "https://github.com/acme/ops/blob/<sha>/runbooks/a%20b.yml#L9", when the plan is of a commit. */
function lineLink(plan: Plan | undefined, d: Diagnostic): string | undefined {
  if (!plan?.repositoryUrl || !isCommit(plan.headSha)) return undefined;
  const path = d.file.split('/').map(encodeURIComponent).join('/');
  return `${plan.repositoryUrl}/blob/${plan.headSha}/${path}#L${d.span.start.line}`;
}

function diagnosticLine(d: Diagnostic, plan: Plan | undefined): string {
  const where = escapeInline(`${d.file}:${d.span.start.line}:${d.span.start.column}`);
  const link = lineLink(plan, d);
  const place = link ? `[${where}](${link})` : where;
  const fix = d.fix ? ` Fix: ${escapeInline(d.fix)}` : '';
  return `- ${d.severity === 'error' ? '❌' : '⚠️'} ${place} ${inlineCode(d.code)}: ${escapeInline(d.message)}${fix}`;
}

/** Problems, errors first; beyond `max`, a count (and the cut is noted). */
export function diagnosticList(diagnostics: readonly Diagnostic[], plan?: Plan, max = 50, cut?: string[]): string {
  const sorted = sortDiagnostics(diagnostics);
  const shown = sorted.slice(0, max).map((d) => diagnosticLine(d, plan));
  const hidden = sorted.length - shown.length;
  if (hidden > 0) {
    shown.push(`- …and ${hidden} more (run \`opsgate validate\` to see all).`);
    cut?.push(`${sorted[0]!.file}: ${hidden} more problems not listed`);
  }
  return shown.join('\n');
}

function truncationNote(cut: string[], options: PlanCommentOptions): string {
  const where = options.fullPlanUrl ? `the [job summary](${options.fullPlanUrl})` : 'the job summary';
  const listed = cut.slice(0, 20).map((c) => `- ${escapeInline(c)}`);
  if (cut.length > 20) listed.push(`- …and ${cut.length - 20} more`);
  return `> [!NOTE]\n> This plan was too long for one GitHub comment (limit ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')} characters), so parts were shortened. The full plan is in ${where} and is printed by \`opsgate plan <runbook>\`.\n\n${listed.join('\n')}`;
}

function footer(plan: Plan): string {
  const run = plan.runUrl ? ` · [workflow run](${plan.runUrl})` : '';
  return `<sub>opsgate ${OPSGATE_VERSION}${run} · config ${inlineCode(plan.configPath)} · updated on every push and review</sub>`;
}

function renderIndexOnly(plan: Plan, budget: number, measure: (t: string) => number, options: PlanCommentOptions): string {
  const note = truncationNote([`all step text and problem lists (${plan.runbooks.length} runbooks)`], options);
  // The digest markers (in the header) must survive: the index rows are what gets cut.
  const fixed = [header(plan), ...notices(plan.notices), note, footer(plan)];
  const rows = indexRows(plan);
  let kept = rows.length;
  const render = () => {
    const more = kept < rows.length ? [[`…and ${rows.length - kept} more (see the job summary)`, '', '', '', '', '']] : [];
    return [...fixed.slice(0, -1), table(INDEX_HEADERS, [...rows.slice(0, kept), ...more]), fixed.at(-1)!].join('\n\n');
  };
  let body = render();
  while (kept > 0 && measure(body) > budget) {
    kept = Math.max(0, kept - Math.max(1, Math.ceil((kept * (measure(body) - budget)) / measure(body))));
    body = render();
  }
  return body;
}
