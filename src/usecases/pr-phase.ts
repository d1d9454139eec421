// The PR phase: on pull_request / pull_request_review, check every changed runbook at the PR head (read
// through the API, never from a checkout), show the plan in one sticky comment and the job summary, annotate
// problems, and set the approval commit status. Never executes anything.
//
// The status is always set, whatever happens (a `finally`): a required check that is never set blocks the
// merge button without a word. Refusals (invalid runbook, PR too large) are `failure`; surprises are `error`.
import type { ChangedFile, CommitState, GitHubGateway, PullRequestInfo } from '../ports/github.js';
import { CommentForbiddenError, MAX_PULL_REQUEST_FILES, NotAFileError, TooManyFilesError } from '../ports/github.js';
import type { Reporter } from '../ports/reporter.js';
import type { Diagnostic } from '../runbook/diagnostics.js';
import { hasErrors, WHOLE_FILE } from '../runbook/diagnostics.js';
import type { RepoConfig, Runbook } from '../runbook/model.js';
import { checkRunbook } from '../runbook/check.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { evaluateApprovals, requirementFor, type ApprovalDecision, type ApprovalRules } from '../policy/approvals.js';
import { fetchApprovalSnapshot, readBaseApprovalRules } from '../policy/approval-snapshot.js';
import { stricterApprovals } from '../policy/stricter-policy.js';
import { deletedRunbook, planRunbook, repositoryUrlOf, type Plan, type RunbookPlan } from '../plan/plan.js';
import { PLAN_MARKER } from '../plan/digest-marker.js';
import { renderPlanComment } from '../render/plan-comment.js';
import { proceed, refuse, unexpected, type Outcome, type ReasonCode } from '../run/outcome.js';
import type { PhaseResult } from './phase-result.js';
import { changesConfig, selectRunbookFiles } from './runbook-files.js';

const PULL_REQUEST_ACTIONS = ['opened', 'synchronize', 'reopened', 'ready_for_review'] as const;

/** The actions planned per event; others (labeled, edited, ...) are ignored. */
export const PR_ACTIONS: Record<string, readonly string[]> = {
  pull_request: PULL_REQUEST_ACTIONS,
  // The fork workflow (docs/examples/opsgate-plan-forks.yml, with `mode: plan`): same payload, base repo's token.
  pull_request_target: PULL_REQUEST_ACTIONS,
  pull_request_review: ['submitted', 'dismissed'],
};

export interface PrPhaseInput {
  eventName: string;
  payload: Record<string, unknown>;
  configPath: string;
  runbooksGlob: string;
  statusContext: string;
  /** The workflow run (job summary) URL: the status link when there is no comment. */
  workflowRunUrl?: string;
}

export interface PrPhaseDeps {
  github: GitHubGateway;
  reporter: Reporter;
  /** Aborted when the job is cancelled (a newer run superseded this one): then nothing more is written. */
  signal?: AbortSignal;
}

/** Runbooks one PR may change: reviewers must be able to read every plan, and the comment must hold them. */
export const MAX_RUNBOOKS_PER_PULL_REQUEST = 50;
/** GitHub takes 1 MiB of job summary per step; the margin leaves room for anything else the step writes. */
const SUMMARY_BUDGET_BYTES = 1024 * 1024 - 32 * 1024;
const STATUS_DESCRIPTION_LIMIT = 140;
const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

type StatusUpdate = { state: CommitState; description: string; targetUrl?: string };

export async function runPrPhase(input: PrPhaseInput, deps: PrPhaseDeps): Promise<PhaseResult> {
  const pr = pullRequestNumberOf(input.payload);
  const action = typeof input.payload.action === 'string' ? input.payload.action : '';
  if (pr === undefined) return result(refuse('no-reviewed-pull-request', `The ${input.eventName} event payload has no pull_request.number; opsgate plan runs on pull_request, pull_request_target and pull_request_review events.`));
  const handled = PR_ACTIONS[input.eventName];
  if (handled && !handled.includes(action)) {
    deps.reporter.info(`Nothing to do for ${input.eventName}.${action}.`);
    return result(proceed('ok', `ignored ${input.eventName}.${action}`), { pullRequest: pr });
  }
  try {
    return await planPullRequest(pr, input, deps);
  } catch (error) {
    if (deps.signal?.aborted) return result(refuse('cancelled', `The job was cancelled while planning #${pr}; a newer run reports on it.`), { pullRequest: pr });
    if (isHttpError(error)) return result(unexpected('github-unavailable', `GitHub API error while planning #${pr}: ${(error as Error).message}`), { pullRequest: pr });
    throw error;
  }
}

function pullRequestNumberOf(payload: Record<string, unknown>): number | undefined {
  const pr = payload.pull_request as { number?: unknown } | undefined;
  return typeof pr?.number === 'number' ? pr.number : undefined;
}

function isHttpError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status' in error;
}

function headShaOf(payload: Record<string, unknown>): string | undefined {
  const sha = (payload.pull_request as { head?: { sha?: unknown } } | undefined)?.head?.sha;
  return typeof sha === 'string' ? sha : undefined;
}

async function planPullRequest(number: number, input: PrPhaseInput, deps: PrPhaseDeps): Promise<PhaseResult> {
  let pr: PullRequestInfo;
  try {
    pr = await deps.github.getPullRequest(number);
  } catch (error) {
    // Not even the PR could be read: say so on the head the event named, so the check does not wait in silence.
    const head = headShaOf(input.payload);
    if (head) await publishStatus(head, errorStatus(error, input), input, deps);
    throw error;
  }
  let status: StatusUpdate = errorStatus(new Error('opsgate stopped before deciding'), input);
  try {
    const done = await planAndReport(pr, input, deps);
    status = done.status;
    return done.result;
  } catch (error) {
    status = errorStatus(error, input);
    throw error;
  } finally {
    await publishStatus(pr.headSha, status, input, deps);
  }
}

async function planAndReport(pr: PullRequestInfo, input: PrPhaseInput, deps: PrPhaseDeps): Promise<{ status: StatusUpdate; result: PhaseResult }> {
  const { plan, refusal } = await buildPlan(pr, input, deps);
  deps.reporter.annotate([...plan.configDiagnostics, ...plan.runbooks.flatMap((p) => p.diagnostics)]);
  // The summary first: if the comment then fails, the plan is still readable in the run.
  await deps.reporter.summary(renderPlanComment(plan, { budget: SUMMARY_BUDGET_BYTES, measure: byteLength }));
  const commentUrl = await publishComment(pr, plan, input, deps);
  const outcome = refusal ?? outcomeOf(plan);
  const status = { ...statusFor(plan, outcome), targetUrl: commentUrl ?? input.workflowRunUrl };
  const runbooks = plan.runbooks.map((p) => ({
    path: p.path,
    status: p.status,
    digest: p.digest ?? null,
    approved: p.approval?.approved ?? null,
    approval: p.approval?.summary ?? null,
    errors: p.diagnostics.filter((d) => d.severity === 'error').length,
    warnings: p.diagnostics.filter((d) => d.severity === 'warning').length,
  }));
  const extra = { pullRequest: pr.number, headSha: pr.headSha, commentUrl: commentUrl ?? null, status: status.state, runbooks };
  return { status, result: result(outcome, extra) };
}

/** A plan that stops before the runbooks, with the reason shown on top of the comment. */
function refused(plan: Plan, code: ReasonCode, message: string): { plan: Plan; refusal: Outcome } {
  return { plan: { ...plan, notices: [...(plan.notices ?? []), { kind: 'caution', text: message }] }, refusal: refuse(code, message) };
}

async function buildPlan(pr: PullRequestInfo, input: PrPhaseInput, { github, reporter }: PrPhaseDeps): Promise<{ plan: Plan; refusal?: Outcome }> {
  const plan: Plan = { headSha: pr.headSha, pullRequest: pr.number, runbooks: [], configDiagnostics: [], configPath: input.configPath, repositoryUrl: repositoryUrlOf(pr.htmlUrl), runUrl: input.workflowRunUrl, notices: [] };
  if ((pr.changedFiles ?? 0) > MAX_PULL_REQUEST_FILES) return refused(plan, 'too-many-files', new TooManyFilesError(pr.number, pr.changedFiles!).message);
  let files: ChangedFile[];
  try {
    files = await github.listPullRequestFiles(pr.number);
  } catch (error) {
    if (error instanceof TooManyFilesError) return refused(plan, 'too-many-files', error.message);
    throw error;
  }
  // The same selection as the merge phase: what is planned here is exactly what would run there.
  const { toRun: present, deleted } = selectRunbookFiles(files, input.runbooksGlob, input.configPath);
  const configChanged = changesConfig(files, input.configPath);
  reporter.info(`#${pr.number}: ${files.length} changed file(s), ${present.length} runbook(s) to check, ${deleted.length} deleted.`);
  const count = present.length + deleted.length;
  if (count > MAX_RUNBOOKS_PER_PULL_REQUEST) {
    const message = `#${pr.number} changes ${count} runbooks; opsgate plans at most ${MAX_RUNBOOKS_PER_PULL_REQUEST} per pull request, so that reviewers can read every plan. Split the pull request into smaller ones.`;
    return refused(plan, 'too-many-runbooks', message);
  }
  const loaded = present.length || configChanged ? await readConfig(github, input.configPath, pr.headSha, configChanged) : { diagnostics: [] };
  plan.configDiagnostics = loaded.diagnostics;
  const runbooks = new Map<string, Runbook>();
  for (const path of present) plan.runbooks.push(await planOne(github, path, pr, loaded.config, input.configPath, runbooks));
  plan.runbooks.push(...deleted.map(deletedRunbook));
  if (loaded.config) {
    const rules = await approvalRules(github, pr, loaded.config, configChanged, input.configPath, plan);
    await addApprovals(github, pr, rules, plan.runbooks, runbooks);
  }
  return { plan };
}

interface LoadedConfig {
  config?: RepoConfig;
  diagnostics: Diagnostic[];
}

async function readConfig(github: GitHubGateway, path: string, sha: string, changed: boolean): Promise<LoadedConfig> {
  const missing = (message: string, fix: string): LoadedConfig => ({ diagnostics: [{ file: path, span: WHOLE_FILE, severity: 'error', code: 'config-missing', message, fix }] });
  let bytes: Uint8Array | null;
  try {
    bytes = await github.readFile(path, sha);
  } catch (error) {
    if (!(error instanceof NotAFileError)) throw error;
    return missing(`The repo config ${path} is a ${error.kind} at this commit, not a regular file.`, `Replace ${path} with the file itself.`);
  }
  if (bytes === null) return missing(`The repo config ${path} does not exist at this commit.`, `Add ${path} (see the README), or set the "config" input to its path.`);
  const loaded = loadRepoConfig({ path, bytes });
  // An unchanged config that fails to load is still fatal (fail closed), but it is only annotated when changed.
  return { config: loaded.value, diagnostics: changed || !loaded.value ? loaded.diagnostics : [] };
}

async function planOne(github: GitHubGateway, path: string, pr: PullRequestInfo, config: RepoConfig | undefined, configPath: string, runbooks: Map<string, Runbook>): Promise<RunbookPlan> {
  const problem = (code: string, message: string, fix: string) => planRunbook({ file: path, diagnostics: [{ file: path, span: WHOLE_FILE, severity: 'error', code, message, fix }] }, undefined);
  let bytes: Uint8Array | null;
  try {
    bytes = await github.readFile(path, pr.headSha);
  } catch (error) {
    if (!(error instanceof NotAFileError)) throw error;
    return problem('not-a-file', `${path} is a ${error.kind} at ${pr.headSha.slice(0, 7)}, not a regular file; opsgate reads each runbook as a file at the PR head.`, `Replace ${path} with the runbook file itself.`);
  }
  if (bytes === null) return deletedRunbook(path);
  if (!config) return problem('config-invalid', `Not checked: the repo config ${configPath} is missing or invalid at ${pr.headSha.slice(0, 7)} (see its problems above).`, `Fix ${configPath} first; this runbook is checked once the config loads.`);
  const check = await checkRunbook({ path, bytes }, config);
  if (check.checked) runbooks.set(path, check.checked.runbook);
  return planRunbook(check, config);
}

/** The head's rules; when the PR changes the config, the stricter of the base's and the head's (and say so). */
async function approvalRules(github: GitHubGateway, pr: PullRequestInfo, config: RepoConfig, configChanged: boolean, configPath: string, plan: Plan): Promise<{ approvals: ApprovalRules }> {
  if (!configChanged) return config.policy;
  const base = await readBaseApprovalRules(github, configPath, pr.baseSha);
  plan.notices?.push({ kind: 'note', text: `This pull request changes ${configPath}: approvals are judged by the stricter of its rules and the base's (${base.note}), so a pull request cannot loosen the rules it is reviewed under.` });
  return { approvals: stricterApprovals(base.rules, config.policy.approvals) };
}

async function addApprovals(github: GitHubGateway, pr: PullRequestInfo, rules: { approvals: ApprovalRules }, plans: RunbookPlan[], runbooks: Map<string, Runbook>): Promise<void> {
  // One snapshot per distinct requirement: most runbooks share the repo policy.
  const decisions = new Map<string, Promise<ApprovalDecision>>();
  for (const plan of plans) {
    const runbook = runbooks.get(plan.path);
    if (plan.status !== 'valid' || !runbook) continue;
    const requirement = requirementFor(rules, runbook);
    const key = JSON.stringify(requirement);
    if (!decisions.has(key)) decisions.set(key, fetchApprovalSnapshot(github, pr, requirement).then((snapshot) => evaluateApprovals(snapshot, requirement)));
    const decision = await decisions.get(key)!;
    plan.approval = { approved: decision.approved, summary: decision.summary, reasonCode: decision.reasonCode, message: decision.message, approvers: decision.counted.map((c) => c.login) };
  }
}

async function publishComment(pr: PullRequestInfo, plan: Plan, input: PrPhaseInput, { github, reporter, signal }: PrPhaseDeps): Promise<string | undefined> {
  // With nothing to show, do not start a comment; but an earlier plan comment must not stay stale.
  const nothingToShow = plan.runbooks.length === 0 && plan.configDiagnostics.length === 0 && !plan.notices?.length;
  if (nothingToShow && !(await github.findStickyComment(pr.number, PLAN_MARKER))) return undefined;
  // A run that planned an older head must not overwrite the comment of the run for the newer one.
  const current = await github.getPullRequest(pr.number);
  if (current.headSha !== pr.headSha || signal?.aborted) {
    reporter.info(`#${pr.number} moved to ${current.headSha.slice(0, 7)} while this run planned ${pr.headSha.slice(0, 7)} (or the job was cancelled); the comment is left to the run for the new head.`);
    return undefined;
  }
  try {
    const ref = await github.upsertStickyComment(pr.number, PLAN_MARKER, renderPlanComment(plan, { fullPlanUrl: input.workflowRunUrl }));
    reporter.info(`Plan comment: ${ref.url}`);
    return ref.url;
  } catch (error) {
    if (!(error instanceof CommentForbiddenError)) throw error;
    reporter.warning(`Could not comment on #${pr.number}: ${error.message}. The plan is in the job summary and the annotations instead.`);
    return undefined;
  }
}

function outcomeOf(plan: Plan): Outcome {
  if (hasErrors(plan.configDiagnostics)) return refuse('invalid-config', `The repo config ${plan.configPath} has errors.`);
  const invalid = plan.runbooks.filter((p) => p.status === 'invalid');
  if (invalid.length) {
    const lintOnly = invalid.every((p) => p.diagnostics.filter((d) => d.severity === 'error').every((d) => /^(sql|shell|deny)-/.test(d.code)));
    return refuse(lintOnly ? 'lint-failed' : 'invalid-runbook', `${invalid.length} runbook(s) have errors: ${invalid.map((p) => p.path).join(', ')}.`);
  }
  const uncheckable = plan.runbooks.find((p) => p.approval?.reasonCode === 'too-many-commits');
  if (uncheckable) return refuse('too-many-commits', uncheckable.approval!.message ?? uncheckable.approval!.summary);
  if (!plan.runbooks.some((p) => p.status === 'valid')) return proceed('no-runbooks', 'No runbooks changed in this pull request.');
  return proceed('ok', `${plan.runbooks.filter((p) => p.status === 'valid').length} runbook(s) planned.`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function statusFor(plan: Plan, outcome: Outcome): { state: CommitState; description: string } {
  if (outcome.decision === 'refuse') return { state: 'failure', description: clip(outcome.message, STATUS_DESCRIPTION_LIMIT) };
  if (outcome.decision === 'error') return { state: 'error', description: clip(outcome.message, STATUS_DESCRIPTION_LIMIT) };
  const valid = plan.runbooks.filter((p) => p.status === 'valid');
  if (!valid.length) return { state: 'success', description: 'no runbooks changed' };
  const waiting = valid.filter((p) => !p.approval?.approved);
  if (!waiting.length) {
    if (valid.length === 1) return { state: 'success', description: clip(`approved: ${valid[0]!.approval?.summary ?? valid[0]!.path}`, STATUS_DESCRIPTION_LIMIT) };
    const approvers = [...new Set(valid.flatMap((p) => p.approval?.approvers ?? []))];
    return { state: 'success', description: clip(`approved: all ${valid.length} runbooks${approvers.length ? ` (${approvers.join(', ')})` : ''}`, STATUS_DESCRIPTION_LIMIT) };
  }
  const summary = (waiting[0]!.approval?.summary ?? 'approval not evaluated').replace(/^\d+ of \d+: /, '');
  const others = waiting.length - 1;
  const more = others ? ` (+${others} more runbook${others === 1 ? '' : 's'} waiting)` : '';
  // The count of others must survive clipping: shorten the summary, not the tail.
  return { state: 'pending', description: `${clip(summary, STATUS_DESCRIPTION_LIMIT - more.length)}${more}` };
}

/** An unexpected stop: the status says so briefly and points at the run, where the log has the rest. */
function errorStatus(error: unknown, input: PrPhaseInput): StatusUpdate {
  const status = isHttpError(error) ? ` (GitHub API ${String((error as { status: unknown }).status)})` : '';
  const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  return { state: 'error', description: clip(`opsgate could not finish${status}: ${first}. See the workflow run.`, STATUS_DESCRIPTION_LIMIT), targetUrl: input.workflowRunUrl };
}

async function publishStatus(sha: string, status: StatusUpdate, input: PrPhaseInput, { github, reporter, signal }: PrPhaseDeps): Promise<void> {
  if (signal?.aborted) {
    reporter.info(`The job was cancelled: the ${input.statusContext} status is left to the run that superseded this one.`);
    return;
  }
  try {
    await github.setCommitStatus(sha, { ...status, context: input.statusContext, ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}) });
  } catch (error) {
    if (!isHttpError(error)) throw error;
    reporter.warning(`Could not set the ${input.statusContext} commit status (${(error as Error).message}); give the workflow \`statuses: write\`.`);
  }
}

function result(outcome: Outcome, extra: Record<string, unknown> = {}): PhaseResult {
  return { outcome, result: { version: 1, phase: 'plan', outcome, ...extra } };
}
