// The merge phase: find the merged PR, load its runbooks at the merge commit, gate each one (approvals,
// digest, window, run-once) and run it, then report on the PR. Talks to the world only through ports.
import type { AuditLog, Ledger, RunIdentity } from '../ports/audit.js';
import type { Clock } from '../ports/clock.js';
import type { ExecutorFactory } from '../ports/executor.js';
import { NotAFileError, TooManyFilesError, type GitHubGateway, type PullRequestInfo } from '../ports/github.js';
import type { Reporter } from '../ports/reporter.js';
import type { AuditConfig, RepoConfig } from '../runbook/model.js';
import type { ApprovalDecision } from '../policy/approvals.js';
import { readBaseApprovalRules } from '../policy/approval-snapshot.js';
import { withStricterApprovals } from '../policy/stricter-policy.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { checkRunbook, type CheckedRunbook } from '../runbook/check.js';
import { formatDiagnostic, hasErrors } from '../runbook/diagnostics.js';
import { proceed, refuse, unexpected, type Outcome } from '../run/outcome.js';
import { errorText } from '../run/error-text.js';
import { PLAN_MARKER } from '../plan/digest-marker.js';
import type { ReviewedDigest } from './merge-plan-digest.js';
import { headDigests } from './merge-head-digest.js';
import { gateRunbook } from './merge-gate.js';
import { executeRunbook, failureOf } from './merge-execute.js';
import { findMergedPullRequests } from './merge-pull-requests.js';
import { runbookMatcher, selectRunbookFiles, type RunbookFiles } from './runbook-files.js';
import { combineOutcomes, type MergePhaseReport, type PullRequestReport, type RunbookReport } from './merge-report.js';
import type { MergeTrigger } from './merge-trigger.js';

/** The audit destination named by the repo config: a transcript per run and the run-once ledger. */
export interface AuditSinks {
  ledger: Ledger;
  open(identity: RunIdentity): AuditLog;
}

export interface MergePhaseDeps {
  github: GitHubGateway;
  /** "owner/repo". */
  repository: string;
  configPath: string;
  runbooksGlob: string;
  /** Throws RefusalError when the config names no usable destination (the user fixes it); any other error is an outage. */
  auditSinks(audit: AuditConfig | undefined): AuditSinks;
  executors: ExecutorFactory;
  /** Environment for steps on the local target (remote targets use their own). */
  stepEnv?: Record<string, string>;
  /** Values masked everywhere (from `secret-env`, the tokens), besides the config's policy.redact patterns. */
  secretValues: string[];
  clock: Clock;
  signal: AbortSignal;
  reporter: Reporter;
  runId: string;
  /** GITHUB_JOB, recorded in the run-slot claim and the transcript. */
  job?: string;
  workflowRunUrl?: string;
  /** How long a cancelled step may take to confirm it stopped (the orchestrator's cancel grace). */
  cancelGraceMs?: number;
  /**
   * Called just before a runbook runs, with the results of the runbooks before it in the same PR: what to
   * report if this process dies mid-run (the post: step posts it).
   */
  beforeRun?(pr: PullRequestInfo, report: RunbookReport, earlier: readonly RunbookReport[], redactPatterns: readonly string[]): void;
  /**
   * Told once the executor has resolved the target ('start') and after the runbook ends ('end'), with the
   * policy's redact patterns for masking (Slack); failures are the notifier's business.
   */
  notify?(event: 'start' | 'end', pr: PullRequestInfo, report: RunbookReport, redactPatterns: readonly string[]): Promise<void>;
  /** Called with each PR's report as soon as it is final (the result comment). */
  onPullRequestReport?(report: PullRequestReport): Promise<void>;
}

export async function runMergePhase(trigger: MergeTrigger, deps: MergePhaseDeps): Promise<MergePhaseReport> {
  const isRunbook = runbookMatcher(deps.runbooksGlob, deps.configPath);
  let found: Awaited<ReturnType<typeof findMergedPullRequests>>;
  try {
    found = await findMergedPullRequests(deps.github, trigger, isRunbook);
  } catch (error) {
    found = { outcome: githubUnavailable(`find the pull request merged by ${trigger.sha.slice(0, 7)}`, error) };
  }
  if ('outcome' in found) return { trigger: trigger.kind, outcome: found.outcome, pullRequests: [], cancelled: deps.signal.aborted };
  const reports: PullRequestReport[] = [];
  for (const pr of found.pullRequests) {
    const report = await pullRequestReport(pr, trigger, deps);
    reports.push(report);
    await deps.onPullRequestReport?.(report);
  }
  return { trigger: trigger.kind, outcome: combineOutcomes(reports.map((r) => r.outcome)), pullRequests: reports, cancelled: deps.signal.aborted };
}

/** Reads happen before anything runs, so a failed read means nothing ran: say so, as an error, not a refusal. */
function githubUnavailable(what: string, error: unknown): Outcome {
  return unexpected('github-unavailable', `Could not ${what} on GitHub, so nothing ran: ${errorText(error)}`);
}

/** A PR too large to list completely, or a runbook path that is not a file, is the PR's to fix; anything else is an outage. */
function readFailure(error: unknown, what: string): Outcome {
  if (error instanceof TooManyFilesError) return refuse(error.reasonCode, `${error.message} Nothing ran.`);
  if (error instanceof NotAFileError) return refuse('invalid-runbook', `${error.message}; opsgate reads runbooks and the config only from regular files. Nothing ran.`);
  return githubUnavailable(what, error);
}

async function pullRequestReport(
  pr: PullRequestInfo,
  trigger: MergeTrigger,
  deps: MergePhaseDeps,
): Promise<PullRequestReport> {
  // A merge-queue commit is not merged yet: read at the queue's commit. Otherwise read what was merged.
  const mergeSha = trigger.kind === 'merge-group' ? trigger.sha : (pr.mergeCommitSha ?? trigger.sha);
  const base = { number: pr.number, url: pr.htmlUrl, mergeSha, author: pr.author };
  let files: RunbookFiles;
  let loaded: Loaded;
  try {
    files = selectRunbookFiles(await deps.github.listPullRequestFiles(pr.number), deps.runbooksGlob, deps.configPath);
    if (files.toRun.length === 0) {
      const outcome = proceed('no-runbooks', `#${pr.number} adds or changes no runbooks (${deps.runbooksGlob}); nothing to run.`);
      return { ...base, outcome, runbooks: [], deleted: files.deleted };
    }
    loaded = await loadAtMerge(pr, mergeSha, files.toRun, deps);
  } catch (error) {
    return { ...base, outcome: readFailure(error, `read the runbooks of #${pr.number} at ${mergeSha.slice(0, 7)}`), runbooks: [], deleted: [] };
  }
  if ('outcome' in loaded) return { ...base, outcome: loaded.outcome, runbooks: loaded.runbooks ?? [], deleted: files.deleted };

  const runbooks = await gateAndRunInOrder({ pr, mergeSha, config: loaded.config, trigger, deps }, loaded.checked);
  return { ...base, outcome: combineOutcomes(runbooks.map((r) => r.outcome)), runbooks, deleted: files.deleted, redactPatterns: loaded.config.policy.redact };
}

type Loaded = { config: RepoConfig; checked: CheckedRunbook[] } | { outcome: Outcome; runbooks?: RunbookReport[] };

/** The config and every runbook at the merge commit; any error means nothing in this PR runs. */
async function loadAtMerge(pr: PullRequestInfo, mergeSha: string, paths: string[], deps: MergePhaseDeps): Promise<Loaded> {
  const configText = await deps.github.readFile(deps.configPath, mergeSha);
  if (configText === null) {
    return { outcome: refuse('invalid-config', `${deps.configPath} does not exist at ${mergeSha.slice(0, 7)}; opsgate needs it to know targets, databases and the policy. Nothing ran.`) };
  }
  const config = loadRepoConfig({ path: deps.configPath, bytes: configText });
  if (!config.value) {
    deps.reporter.annotate(config.diagnostics);
    const first = config.diagnostics.find((d) => d.severity === 'error');
    return { outcome: refuse('invalid-config', `${deps.configPath} is not valid at ${mergeSha.slice(0, 7)}: ${first ? formatDiagnostic(first) : 'see the annotations'}. Nothing ran.`) };
  }
  const checked: CheckedRunbook[] = [];
  const reports: RunbookReport[] = [];
  for (const path of paths) {
    const text = await deps.github.readFile(path, mergeSha);
    if (text === null) {
      reports.push({ path, outcome: refuse('invalid-runbook', `${path} is listed in #${pr.number} but does not exist at ${mergeSha.slice(0, 7)}.`) });
      continue;
    }
    const result = await checkRunbook({ path, bytes: text }, config.value);
    if (!result.checked || hasErrors(result.diagnostics)) {
      deps.reporter.annotate(result.diagnostics);
      const first = result.diagnostics.find((d) => d.severity === 'error');
      const why = first ? formatDiagnostic(first) : `${path} could not be checked`;
      reports.push({ path, outcome: refuse('invalid-runbook', `${why}. Nothing in #${pr.number} ran.`), diagnostics: result.diagnostics });
      continue;
    }
    checked.push(result.checked);
    reports.push({ path, title: result.checked.runbook.title, digest: result.checked.digest, outcome: proceed('ok', 'valid') });
  }
  if (checked.length < paths.length) {
    const bad = reports.filter((r) => r.outcome.decision !== 'proceed');
    const held = reports.map((r) =>
      r.outcome.decision === 'proceed' ? { ...r, outcome: refuse('invalid-runbook', `Not run: ${bad.map((b) => b.path).join(', ')} in the same PR is invalid, and nothing runs on bad input.`) } : r,
    );
    return { outcome: combineOutcomes(bad.map((b) => b.outcome)), runbooks: held };
  }
  // Approvals follow the stricter of these rules and the base commit's: a PR cannot loosen its own (stricter-policy.ts).
  const base = await readBaseApprovalRules(deps.github, deps.configPath, pr.baseSha);
  return { config: { ...config.value, policy: withStricterApprovals(config.value.policy, base.rules) }, checked };
}

/** One PR's runbooks and what they share. */
interface PullRequestRun {
  pr: PullRequestInfo;
  mergeSha: string;
  config: RepoConfig;
  trigger: MergeTrigger;
  deps: MergePhaseDeps;
}

/** Read once per PR: where the transcript goes, and what reviewers approved for each runbook. */
interface Shared {
  sinks: AuditSinks;
  reviewedFor(path: string): Promise<ReviewedDigest>;
}

/** Path order; once one runbook does not finish, later ones wait (they may depend on it). */
async function gateAndRunInOrder(run: PullRequestRun, checked: CheckedRunbook[]): Promise<RunbookReport[]> {
  const shared = await openShared(run);
  const reports: RunbookReport[] = [];
  for (const c of checked) {
    const base: RunbookReport = { path: c.runbook.path, title: c.runbook.title, digest: c.digest, target: c.runbook.target, window: c.runbook.window, outcome: proceed('ok', '') };
    const held = 'outcome' in shared ? shared.outcome : heldBack(c.runbook.path, reports, run.deps.signal);
    reports.push(held ? { ...base, outcome: held } : await gateAndRun(run, c, shared as Shared, base, reports));
  }
  return reports;
}

async function openShared({ pr, config, deps }: PullRequestRun): Promise<Shared | { outcome: Outcome }> {
  let sinks: AuditSinks;
  try {
    sinks = deps.auditSinks(config.audit);
  } catch (error) {
    return { outcome: failureOf(error, 'audit-unavailable', 'Cannot use the audit log named by the repo config') };
  }
  let planComment: string | null;
  try {
    planComment = (await deps.github.findStickyComment(pr.number, PLAN_MARKER))?.body ?? null;
  } catch (error) {
    return { outcome: githubUnavailable(`read the plan comment of #${pr.number}`, error) };
  }
  // No plan comment (fork PRs: the PR phase's read-only token cannot write one): compare with the approved head.
  const atHead = planComment === null ? headDigests(deps.github, pr, deps.configPath) : null;
  return { sinks, reviewedFor: async (path) => (atHead ? atHead(path) : { against: 'plan-comment', body: planComment! }) };
}

/** Why a runbook does not even get to its gates: the job was cancelled, or one before it did not finish. */
function heldBack(path: string, earlier: readonly RunbookReport[], signal: AbortSignal): Outcome | null {
  if (signal.aborted) return refuse('cancelled', `${path} did not run: the job was cancelled before it started.`);
  const blocker = earlier.find((r) => r.outcome.decision !== 'proceed');
  if (!blocker) return null;
  // Same decision and code as the blocker: an outage stays an error, a refusal stays a refusal.
  return { ...blocker.outcome, message: `${path} did not run: ${blocker.path} before it in this PR ended with ${blocker.outcome.reasonCode}, and later runbooks may depend on it.` };
}

async function gateAndRun(run: PullRequestRun, checked: CheckedRunbook, shared: Shared, base: RunbookReport, earlier: readonly RunbookReport[]): Promise<RunbookReport> {
  const { pr, config, deps } = run;
  let reviewed: ReviewedDigest;
  try {
    reviewed = await shared.reviewedFor(checked.runbook.path);
  } catch (error) {
    return { ...base, outcome: githubUnavailable(`read ${checked.runbook.path} at the approved head ${pr.headSha.slice(0, 7)} of #${pr.number}`, error) };
  }
  const gate = await gateRunbook({ github: deps.github, pr, repository: deps.repository, config, checked, reviewed, ledger: shared.sinks.ledger, clock: deps.clock, runId: run.trigger.kind === 'merge-group' ? undefined : deps.runId, job: deps.job });
  const approvers = gate.approval?.counted.map((c) => c.login);
  const gated: RunbookReport = { ...base, approvalSummary: gate.approval?.summary, approvers, ledger: gate.ledger, digestCheck: gate.digest };
  if (!gate.passed) return { ...gated, outcome: gate.outcome, audit: gate.ledger?.location };
  if (run.trigger.kind === 'merge-group') {
    return { ...gated, outcome: proceed('ok', `${checked.runbook.path}: every gate passes; it runs after the merge queue merges #${pr.number}.`) };
  }
  return runGated(run, checked, shared.sinks, gate.approval, gated, earlier);
}

async function runGated(run: PullRequestRun, checked: CheckedRunbook, sinks: AuditSinks, approval: ApprovalDecision, gated: RunbookReport, earlier: readonly RunbookReport[]): Promise<RunbookReport> {
  const { pr, config, deps } = run;
  const identity: RunIdentity = { repository: deps.repository, pullRequest: pr.number, runbookPath: checked.runbook.path, runbookDigest: checked.digest, runId: deps.runId, ...(deps.job ? { job: deps.job } : {}) };
  const patterns = config.policy.redact;
  deps.beforeRun?.(pr, gated, earlier, patterns);
  const onStarted = async () => deps.notify?.('start', pr, gated, patterns);
  const ran = await executeRunbook({ checked, config, identity, pr, mergeSha: run.mergeSha, approval, sinks, deps, onStarted }).catch((error: unknown) => ({
    // A bug or crash mid-run: the slot stays claimed, and the ledger lets a later attempt run it only if the
    // transcript shows that no step started (the take-over rule in src/audit/ledger-state.ts).
    outcome: unexpected('internal-error', `${checked.runbook.path} stopped unexpectedly: ${errorText(error)}. Steps may have run; the audit transcript has what happened, and opsgate runs it again only if that transcript shows no step started.`),
    steps: undefined,
    audit: undefined,
  }));
  const report: RunbookReport = { ...gated, outcome: ran.outcome, steps: ran.steps, audit: ran.audit };
  await deps.notify?.('end', pr, report, patterns);
  return report;
}
