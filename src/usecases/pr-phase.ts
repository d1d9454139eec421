// The PR phase: on pull_request / pull_request_review, check every changed runbook at the PR head (read
// through the API, never from a checkout), show the plan in one sticky comment and the job summary, annotate
// problems, and set the approval commit status. Never executes anything.
import picomatch from 'picomatch';
import type { CommitState, GitHubGateway, PullRequestInfo } from '../ports/github.js';
import { CommentForbiddenError } from '../ports/github.js';
import type { Reporter } from '../ports/reporter.js';
import type { Diagnostic } from '../runbook/diagnostics.js';
import { hasErrors } from '../runbook/diagnostics.js';
import type { RepoConfig, Runbook } from '../runbook/model.js';
import { checkRunbook } from '../runbook/check.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { evaluateApprovals, requirementFor, type EffectiveRequirement, type ApprovalDecision } from '../policy/approvals.js';
import { fetchApprovalSnapshot } from '../policy/approval-snapshot.js';
import { deletedRunbook, planRunbook, type Plan, type RunbookPlan } from '../plan/plan.js';
import { PLAN_MARKER, renderPlanComment } from '../render/plan-comment.js';
import { proceed, refuse, unexpected, type Outcome } from '../run/outcome.js';
import type { PhaseResult } from './phase-result.js';

export const PR_ACTIONS: Record<string, readonly string[]> = {
  pull_request: ['opened', 'synchronize', 'reopened', 'ready_for_review'],
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
}

/** Characters of the job summary copy (GitHub allows 1 MiB per step). */
const SUMMARY_BUDGET = 900_000;
const STATUS_DESCRIPTION_LIMIT = 140;

export async function runPrPhase(input: PrPhaseInput, deps: PrPhaseDeps): Promise<PhaseResult> {
  const pr = pullRequestNumberOf(input.payload);
  const action = typeof input.payload.action === 'string' ? input.payload.action : '';
  if (pr === undefined) return result(refuse('no-reviewed-pull-request', `The ${input.eventName} event payload has no pull_request.number; opsgate plan runs on pull_request and pull_request_review events.`));
  const handled = PR_ACTIONS[input.eventName];
  if (handled && !handled.includes(action)) {
    deps.reporter.info(`Nothing to do for ${input.eventName}.${action}.`);
    return result(proceed('ok', `ignored ${input.eventName}.${action}`), { pullRequest: pr });
  }
  try {
    return await planPullRequest(pr, input, deps);
  } catch (error) {
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

interface LoadedConfig {
  config?: RepoConfig;
  diagnostics: Diagnostic[];
}

async function readConfig(github: GitHubGateway, path: string, sha: string, changed: boolean): Promise<LoadedConfig> {
  const text = await github.readFile(path, sha);
  if (text === null) {
    const span = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
    return {
      diagnostics: [{ file: path, span, severity: 'error', code: 'config-missing', message: `The repo config ${path} does not exist at this commit.`, fix: `Add ${path} (see the README), or set the "config" input to its path.` }],
    };
  }
  const loaded = loadRepoConfig({ path, text });
  // An unchanged config that fails to load is still fatal (fail closed), but it is only annotated when changed.
  return { config: loaded.value, diagnostics: changed || !loaded.value ? loaded.diagnostics : [] };
}

async function planPullRequest(number: number, input: PrPhaseInput, { github, reporter }: PrPhaseDeps): Promise<PhaseResult> {
  const pr = await github.getPullRequest(number);
  const files = await github.listPullRequestFiles(number);
  const isRunbook = picomatch(input.runbooksGlob, { dot: true });
  const changedRunbooks = files.filter((f) => isRunbook(f.path));
  // A runbook renamed away from the glob counts as deleted.
  const deleted = files.filter((f) => (f.status === 'removed' && isRunbook(f.path)) || (f.status === 'renamed' && f.previousPath && isRunbook(f.previousPath) && !isRunbook(f.path)));
  const present = changedRunbooks.filter((f) => f.status !== 'removed');
  reporter.info(`#${number}: ${files.length} changed file(s), ${present.length} runbook(s) to check, ${deleted.length} deleted.`);

  const configChanged = files.some((f) => f.path === input.configPath);
  const { config, diagnostics: configDiagnostics } = present.length || configChanged ? await readConfig(github, input.configPath, pr.headSha, configChanged) : { config: undefined, diagnostics: [] };

  const plans: RunbookPlan[] = [];
  const runbooks = new Map<string, Runbook>();
  for (const file of present) plans.push(await planOne(github, file.path, pr, config, runbooks));
  plans.push(...deleted.map((f) => deletedRunbook(f.status === 'renamed' ? f.previousPath! : f.path)));
  await addApprovals(github, pr, config, plans, runbooks);

  const plan: Plan = { headSha: pr.headSha, pullRequest: number, runbooks: plans, configDiagnostics, configPath: input.configPath };
  const allDiagnostics = [...configDiagnostics, ...plans.flatMap((p) => p.diagnostics)];
  reporter.annotate(allDiagnostics);

  const nothingToShow = plans.length === 0 && configDiagnostics.length === 0;
  const commentUrl = nothingToShow ? await refreshOldComment(github, number, plan, input, reporter) : await postComment(github, number, plan, input, reporter);
  await reporter.summary(renderPlanComment(plan, { budget: SUMMARY_BUDGET }));

  const outcome = outcomeOf(plan);
  const status = statusFor(plan, outcome);
  await setStatus(github, reporter, pr.headSha, { ...status, context: input.statusContext, targetUrl: commentUrl ?? input.workflowRunUrl });

  return result(outcome, {
    pullRequest: number,
    headSha: pr.headSha,
    commentUrl: commentUrl ?? null,
    status: status.state,
    runbooks: plans.map((p) => ({
      path: p.path,
      status: p.status,
      digest: p.digest ?? null,
      approved: p.approval?.approved ?? null,
      approval: p.approval?.summary ?? null,
      errors: p.diagnostics.filter((d) => d.severity === 'error').length,
      warnings: p.diagnostics.filter((d) => d.severity === 'warning').length,
    })),
  });
}

async function planOne(github: GitHubGateway, path: string, pr: PullRequestInfo, config: RepoConfig | undefined, runbooks: Map<string, Runbook>): Promise<RunbookPlan> {
  const text = await github.readFile(path, pr.headSha);
  if (text === null) return deletedRunbook(path);
  if (!config) {
    const span = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
    return planRunbook({ file: path, diagnostics: [{ file: path, span, severity: 'error', code: 'config-invalid', message: 'Not checked: the repo config is missing or invalid.', fix: 'Fix the repo config first.' }] }, undefined);
  }
  const check = await checkRunbook({ path, text }, config);
  if (check.checked) runbooks.set(path, check.checked.runbook);
  return planRunbook(check, config);
}

async function addApprovals(github: GitHubGateway, pr: PullRequestInfo, config: RepoConfig | undefined, plans: RunbookPlan[], runbooks: Map<string, Runbook>): Promise<void> {
  if (!config) return;
  // One snapshot per distinct requirement: most runbooks share the repo policy.
  const decisions = new Map<string, Promise<ApprovalDecision>>();
  for (const plan of plans) {
    const runbook = runbooks.get(plan.path);
    if (plan.status !== 'valid' || !runbook) continue;
    const requirement = requirementFor(config.policy, runbook);
    const key = JSON.stringify(requirement);
    if (!decisions.has(key)) decisions.set(key, decide(github, pr, requirement));
    const decision = await decisions.get(key)!;
    plan.approval = { approved: decision.approved, summary: decision.summary };
  }
}

async function decide(github: GitHubGateway, pr: PullRequestInfo, requirement: EffectiveRequirement): Promise<ApprovalDecision> {
  return evaluateApprovals(await fetchApprovalSnapshot(github, pr, requirement), requirement);
}

async function postComment(github: GitHubGateway, number: number, plan: Plan, input: PrPhaseInput, reporter: Reporter): Promise<string | undefined> {
  try {
    const ref = await github.upsertStickyComment(number, PLAN_MARKER, renderPlanComment(plan, { fullPlanUrl: input.workflowRunUrl }));
    reporter.info(`Plan comment: ${ref.url}`);
    return ref.url;
  } catch (error) {
    if (!(error instanceof CommentForbiddenError)) throw error;
    reporter.warning(`Could not comment on #${number}: ${error.message}. The plan is in the job summary and the annotations instead.`);
    return undefined;
  }
}

/** With nothing to show, do not start a comment; but an earlier plan comment must not stay stale. */
async function refreshOldComment(github: GitHubGateway, number: number, plan: Plan, input: PrPhaseInput, reporter: Reporter): Promise<string | undefined> {
  const old = github.findStickyComment ? await github.findStickyComment(number, PLAN_MARKER) : null;
  return old ? postComment(github, number, plan, input, reporter) : undefined;
}

function outcomeOf(plan: Plan): Outcome {
  if (hasErrors(plan.configDiagnostics)) return refuse('invalid-config', `The repo config ${plan.configPath} has errors.`);
  const invalid = plan.runbooks.filter((p) => p.status === 'invalid');
  if (invalid.length) {
    const lintOnly = invalid.every((p) => p.diagnostics.filter((d) => d.severity === 'error').every((d) => /^(sql|shell|deny)-/.test(d.code)));
    return refuse(lintOnly ? 'lint-failed' : 'invalid-runbook', `${invalid.length} runbook(s) have errors: ${invalid.map((p) => p.path).join(', ')}.`);
  }
  if (!plan.runbooks.some((p) => p.status === 'valid')) return proceed('no-runbooks', 'No runbooks changed in this pull request.');
  return proceed('ok', `${plan.runbooks.filter((p) => p.status === 'valid').length} runbook(s) planned.`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function statusFor(plan: Plan, outcome: Outcome): { state: CommitState; description: string } {
  if (outcome.decision === 'refuse') return { state: 'failure', description: clip(outcome.message, STATUS_DESCRIPTION_LIMIT) };
  const valid = plan.runbooks.filter((p) => p.status === 'valid');
  if (!valid.length) return { state: 'success', description: 'no runbooks changed' };
  const waiting = valid.filter((p) => !p.approval?.approved);
  if (!waiting.length) return { state: 'success', description: clip(`approved: ${valid.map((p) => p.approval?.summary ?? p.path).join('; ')}`, STATUS_DESCRIPTION_LIMIT) };
  const first = waiting[0]!;
  const summary = (first.approval?.summary ?? 'approval not evaluated').replace(/^\d+ of \d+: /, '');
  const more = waiting.length > 1 ? ` (+${waiting.length - 1} more runbooks)` : '';
  return { state: 'pending', description: clip(`${summary}${more}`, STATUS_DESCRIPTION_LIMIT) };
}

async function setStatus(github: GitHubGateway, reporter: Reporter, sha: string, status: Parameters<GitHubGateway['setCommitStatus']>[1]): Promise<void> {
  try {
    await github.setCommitStatus(sha, status);
  } catch (error) {
    if (!isHttpError(error)) throw error;
    reporter.warning(`Could not set the ${status.context} commit status (${(error as Error).message}); give the workflow \`statuses: write\`.`);
  }
}

function result(outcome: Outcome, extra: Record<string, unknown> = {}): PhaseResult {
  return { outcome, result: { version: 1, phase: 'plan', outcome, ...extra } };
}
