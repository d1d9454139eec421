// Builds the merge phase from the runner's environment: the GitHub gateway, the CloudWatch audit log and
// ledger named by the repo config, the executors, redaction, Slack; runs it; reports on the PR.
import * as core from '@actions/core';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ECSClient } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionContext } from './context.js';
import type { PhaseResult } from '../usecases/phase-result.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { GitHubGateway, PullRequestInfo } from '../ports/github.js';
import { runMergePhase, type MergePhaseDeps } from '../usecases/merge-phase.js';
import { mergeTriggerFromEvent } from '../usecases/merge-trigger.js';
import { maskPublished, maskReport, publicationMask, type MergePhaseReport, type PullRequestReport, type RunbookReport } from '../usecases/merge-report.js';
import { RESULT_COMMENT_MARKER, renderLocalTranscript, renderResultComment, type LocalTranscript } from '../render/result-comment.js';
import { createSlackNotifier } from '../adapters/slack/slack-notifier.js';
import { createExecutorFactory, type ExecutorBuilders } from '../adapters/executor-factory.js';
import { createSsmExecutor } from '../adapters/aws/ssm-executor.js';
import { createEcsExecutor } from '../adapters/aws/ecs/create-ecs-executor.js';
import { actionTaskState, stopLeftoverEcsTasks } from '../adapters/aws/ecs/task-state.js';
import { createLocalExecutor } from '../adapters/local/local-executor.js';
import { createGitHubGateway } from '../adapters/github/octokit-gateway.js';
import { createCloudWatchAuditLog } from '../adapters/aws/cloudwatch-audit-log.js';
import { createCloudWatchLedger } from '../adapters/aws/cloudwatch-ledger.js';
import { fallbackPathFor, pendingTranscriptDir, uploadPendingTranscripts } from '../adapters/aws/cloudwatch-pending.js';
import { RefusalError, refuse } from '../run/outcome.js';
import { errorText } from '../run/error-text.js';
import { MIN_SECRET_LENGTH } from '../run/redaction.js';
import { CANCELLED_COMMENT_MS, CLOUDWATCH_CANCEL_BUDGET_MS, EXECUTOR_STOP_MS, EXIT_RESERVE_MS, SLACK_CANCELLED_MS, STEP_STOP_MS } from '../run/cancel-budget.js';
import type { AuditConfig } from '../runbook/model.js';
import type { AuditSinks } from '../usecases/merge-phase.js';

/** State key: a file with the comment to post if the main step dies before it reports (read by the post step). */
const PENDING_STATE = 'opsgate-pending-comment';

interface PendingComment {
  pullRequest: number;
  body: string;
}

/** What the merge phase is built from; production builds them from the context, tests hand in fakes. */
export interface MergeCollaborators {
  github: GitHubGateway;
  auditSinks(audit: AuditConfig | undefined): AuditSinks;
  executorBuilders: ExecutorBuilders;
  clock: Clock;
}

/** What publishing the results needs: where, and what to mask. */
interface Publishing {
  context: ActionContext;
  github: GitHubGateway;
  secrets: string[];
  pendingPath: string;
}

export async function runFromAction(context: ActionContext, collaborators?: MergeCollaborators): Promise<PhaseResult> {
  const trigger = mergeTriggerFromEvent(context.eventName, context.payload, context.sha, context.refName);
  const built = collaborators ?? productionCollaborators(context);
  const secrets = secretValuesOf(context);
  for (const value of secrets) context.reporter.mask(value);
  const pendingPath = join(context.tempDir, `opsgate-pending-${context.runId}.json`);
  core.saveState(PENDING_STATE, pendingPath);
  const publishing: Publishing = { context, github: built.github, secrets, pendingPath };
  const ran = await runMergePhase(trigger, mergeDeps(built, publishing));
  const report = maskReport(ran, secrets, ran.pullRequests.flatMap((pr) => pr.redactPatterns ?? []));
  if (report.pullRequests.length === 0) await context.reporter.summary(maskPublished(`## opsgate\n\n${report.outcome.reasonCode}: ${report.outcome.message}\n`, secrets));
  return { outcome: report.outcome, result: resultJson(report) };
}

function mergeDeps(built: MergeCollaborators, publishing: Publishing): MergePhaseDeps {
  const { context, github, secrets } = publishing;
  return {
    github,
    repository: `${context.owner}/${context.repo}`,
    configPath: context.inputs.configPath,
    runbooksGlob: context.inputs.runbooksGlob,
    auditSinks: built.auditSinks,
    executors: createExecutorFactory(built.executorBuilders),
    secretValues: secrets,
    clock: built.clock,
    signal: context.signal,
    reporter: context.reporter,
    runId: context.runId,
    ...(context.job ? { job: context.job } : {}),
    workflowRunUrl: context.workflowRunUrl,
    cancelGraceMs: STEP_STOP_MS,
    beforeRun: (pr, report, earlier, patterns) => writePending(publishing, pr, report, earlier, patterns),
    notify: (event, pr, report, patterns) => notifySlack(context, secrets, event, pr, report, patterns),
    onPullRequestReport: (report) => reportOnPullRequest(publishing, report),
  };
}

/** The post: step. Posts the comment the main step could not (cancelled or killed before it reported). */
export async function postFromAction(context: ActionContext, github?: GitHubGateway): Promise<void> {
  await stopLeftoverEcsTasks(core.getState, (region) => new ECSClient({ region }), context.reporter);
  await uploadPendingTranscripts(pendingTranscriptDir(context.tempDir, context.runId), (region) => new CloudWatchLogsClient({ region, maxAttempts: 1 }), context.reporter, systemClock);
  const path = core.getState(PENDING_STATE);
  if (!path || !existsSync(path)) return;
  const pending = JSON.parse(readFileSync(path, 'utf8')) as PendingComment;
  try {
    await (github ?? createGitHub(context)).upsertStickyComment(pending.pullRequest, RESULT_COMMENT_MARKER, pending.body);
    rmSync(path, { force: true });
    context.reporter.info(`opsgate: the main step ended before reporting; posted its interrupted result on #${pending.pullRequest}.`);
  } catch (error) {
    context.reporter.warning(`opsgate could not post the interrupted result on #${pending.pullRequest}: ${errorText(error)}`);
  }
}

function secretValuesOf(context: ActionContext): string[] {
  const values = [context.inputs.githubToken, context.inputs.membersToken, context.inputs.slackWebhookUrl];
  for (const name of context.inputs.secretEnv) {
    const value = context.env[name];
    if (!value) context.reporter.warning(`secret-env names ${name}, but it is not set in this step's environment; nothing to mask for it.`);
    else if (value.length < MIN_SECRET_LENGTH) context.reporter.warning(`secret-env names ${name}, whose value is shorter than ${MIN_SECRET_LENGTH} characters: too short to tell from ordinary output, so opsgate does not mask it in the comment or the audit log.`);
    if (value) values.push(value);
  }
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** Slack, masked like everything else published; while cancelled it gets a short try that leaves the comment its share. */
async function notifySlack(context: ActionContext, secrets: string[], event: 'start' | 'end', pr: PullRequestInfo, report: RunbookReport, patterns: readonly string[]): Promise<void> {
  const webhookUrl = context.inputs.slackWebhookUrl;
  if (!webhookUrl) return;
  const redact = publicationMask(secrets, patterns);
  const slack = createSlackNotifier({ webhookUrl, repository: `${context.owner}/${context.repo}`, workflowRunUrl: context.workflowRunUrl, redact, warn: (m) => context.reporter.warning(m) });
  const cancelledMs = Math.min(SLACK_CANCELLED_MS, Math.max(0, cancelBudget(context) - CANCELLED_COMMENT_MS - EXIT_RESERVE_MS));
  await slack.notify(event, pr, report, context.signal.aborted ? cancelledMs : undefined);
}

/** Milliseconds before main.ts forces the exit after a cancellation (Infinity when not cancelled). */
function cancelBudget(context: ActionContext): number {
  return Math.max(0, context.msUntilForcedExit?.() ?? Infinity);
}

/**
 * What the post step posts if this process dies mid-run: the runbooks before this one with their results, and
 * this one as started with its result unknown.
 */
function writePending({ context, secrets, pendingPath }: Publishing, pr: PullRequestInfo, report: RunbookReport, earlier: readonly RunbookReport[], patterns: readonly string[]): void {
  const stopped = refuse('cancelled', 'The job stopped (cancelled or the runner died) before this runbook finished. The audit transcript has what ran; opsgate never resumes it: the next attempt reports it as interrupted.');
  const interrupted: PullRequestReport = {
    number: pr.number,
    url: pr.htmlUrl,
    mergeSha: pr.mergeCommitSha ?? '',
    outcome: refuse('cancelled', `The job stopped while ${report.path} was running, before opsgate could report.`),
    runbooks: [...earlier, { ...report, outcome: stopped }],
    deleted: [],
  };
  const body = maskPublished(renderResultComment(maskReport(interrupted, secrets, patterns), { workflowRunUrl: context.workflowRunUrl }), secrets, patterns);
  writeFileSync(pendingPath, JSON.stringify({ pullRequest: pr.number, body } satisfies PendingComment));
}

async function reportOnPullRequest({ context, github, secrets, pendingPath }: Publishing, report: PullRequestReport): Promise<void> {
  const masked = maskReport(report, secrets, report.redactPatterns);
  const body = maskPublished(renderResultComment(masked, { workflowRunUrl: context.workflowRunUrl }), secrets, report.redactPatterns);
  const transcripts = localTranscriptSections(masked.runbooks).map((section) => maskPublished(section, secrets, report.redactPatterns));
  await context.reporter.summary([body, ...transcripts].join('\n\n'));
  try {
    const upsert = github.upsertStickyComment(report.number, RESULT_COMMENT_MARKER, body);
    // Cancelled: main.ts forces the exit soon. Wait only what is left; the post: step posts it otherwise.
    if (context.signal.aborted) {
      writeFileSync(pendingPath, JSON.stringify({ pullRequest: report.number, body } satisfies PendingComment));
      await withDeadline(upsert, Math.min(CANCELLED_COMMENT_MS, cancelBudget(context) - EXIT_RESERVE_MS));
    } else {
      await upsert;
    }
    rmSync(pendingPath, { force: true });
  } catch (error) {
    // The comment is a courtesy; the outcome stands and the job summary has the same content.
    context.reporter.warning(`Could not write the result comment on #${report.number} (${errorText(error)}); the job summary has the result.`);
  }
}

/** The job summary holds 1 MiB per step; the comment copy takes at most 60 K of it. */
const LOCAL_TRANSCRIPT_BUDGET = 900_000;

/** For runbooks whose audit log failed mid-run: the tail of the local copy, with its sha256 and line count. */
function localTranscriptSections(runbooks: readonly RunbookReport[]): string[] {
  let budget = LOCAL_TRANSCRIPT_BUDGET;
  const sections: string[] = [];
  for (const runbook of runbooks) {
    const path = runbook.audit?.localCopy;
    if (!path || budget <= 0) continue;
    const transcript = readLocalTranscript(path, budget);
    if (!transcript) continue;
    budget -= transcript.tail.length;
    sections.push(renderLocalTranscript(runbook.path, transcript));
  }
  return sections;
}

function readLocalTranscript(path: string, budget: number): LocalTranscript | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return null;
  }
  const lines = bytes.toString('utf8').split('\n').filter((line) => line !== '');
  const tail: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0 && size + lines[i]!.length + 1 <= budget; i--) {
    tail.unshift(lines[i]!);
    size += lines[i]!.length + 1;
  }
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), lines: lines.length, bytes: bytes.length, tail: tail.join('\n'), tailLines: tail.length };
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.max(0, Math.round(ms))} ms after cancellation; the post: step will post it`)), Math.max(0, ms));
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function resultJson(report: MergePhaseReport): PhaseResult['result'] {
  return {
    version: 1,
    phase: 'run',
    outcome: report.outcome,
    trigger: report.trigger,
    cancelled: report.cancelled,
    pullRequests: report.pullRequests.map((pr) => ({
      number: pr.number,
      mergeSha: pr.mergeSha,
      outcome: pr.outcome,
      deleted: pr.deleted,
      runbooks: pr.runbooks.map((r) => ({
        path: r.path,
        digest: r.digest,
        outcome: r.outcome,
        approvers: r.approvers ?? [],
        ...(r.digestCheck ? { digestComparedWith: r.digestCheck.against } : {}),
        steps: (r.steps ?? []).map(({ index, name, status, exitCode, durationMs, perTarget }) => ({ index, name, status, exitCode, durationMs, ...(perTarget ? { perTarget } : {}) })),
        audit: r.audit,
      })),
    })),
  };
}

// ---- Production collaborators: the adapters, built from the runner's environment. ----

function productionCollaborators(context: ActionContext): MergeCollaborators {
  return {
    github: createGitHub(context),
    auditSinks: (audit) => auditSinksFor(context, audit),
    executorBuilders: executorBuilders(context),
    clock: systemClock,
  };
}

/**
 * No abort signal on purpose: after a cancellation the result comment must still be posted, through this same
 * gateway. The waits are bounded instead: the comment's by withDeadline above, any other read by main.ts's forced
 * exit (and a cancelled job gates no further runbook).
 */
function createGitHub(context: ActionContext): GitHubGateway {
  return createGitHubGateway(context.owner, context.repo, {
    token: context.inputs.githubToken,
    apiUrl: context.apiUrl,
    membersToken: context.inputs.membersToken,
    log: (message) => context.reporter.info(message),
  });
}

function auditSinksFor(context: ActionContext, audit: AuditConfig | undefined): AuditSinks {
  if (!audit) {
    // A config the user fixes: a refusal, unlike a log group CloudWatch will not let the job use.
    throw new RefusalError(
      'invalid-config',
      'The repo config has no "audit" section: the merge phase writes every run\'s transcript and its run-once ledger to CloudWatch Logs. Add `audit: { log-group: /opsgate/audit, region: eu-west-1 }`.',
    );
  }
  const region = regionFor(context, { name: `audit log group ${audit.logGroup}`, region: audit.region });
  const client = new CloudWatchLogsClient({ region, maxAttempts: 1 }); // the sink and the ledger retry themselves
  // After a cancellation every CloudWatch call, reads included, fits the budget of src/run/cancel-budget.ts.
  const cancel = { signal: context.signal, cancelBudgetMs: CLOUDWATCH_CANCEL_BUDGET_MS };
  return {
    ledger: createCloudWatchLedger({ client, logGroup: audit.logGroup, region, ...cancel }),
    open: (identity) =>
      createCloudWatchAuditLog({
        client,
        logGroup: audit.logGroup,
        region,
        clock: systemClock,
        ...cancel,
        // Kept when CloudWatch fails mid-run, so the transcript so far is never lost; the post step finds it there.
        fallbackPath: fallbackPathFor(context.tempDir, context.runId, identity.runbookPath),
      }),
  };
}

/** The region a target's API calls go to: the target's own, else the job's AWS region. */
function regionFor(context: ActionContext, target: { name: string; region?: string }): string {
  const region = target.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new RefusalError('invalid-config', `Target "${target.name}" names no region and the job sets no AWS_REGION: add \`region:\` to the target in the repo config, or set aws-region in aws-actions/configure-aws-credentials.`);
  }
  return region;
}

function executorBuilders(context: ActionContext): ExecutorBuilders {
  return {
    // The local target runs steps on the runner itself (tests, demos, self-hosted runners inside the network).
    // Its kill grace fits the orchestrator's wait for a cancelled step (src/run/cancel-budget.ts).
    local: () => createLocalExecutor({ killGraceMs: EXECUTOR_STOP_MS }),
    ssm: (target) => {
      const region = regionFor(context, target);
      // The Comment names the repository and PR from each step's context; sleep defaults to the system clock's.
      return createSsmExecutor({
        ssm: new SSMClient({ region }),
        logs: target.outputLogGroup ? new CloudWatchLogsClient({ region }) : undefined,
        target,
      });
    },
    ecs: (target) => {
      const region = regionFor(context, target);
      return createEcsExecutor(target, { region, ecs: new ECSClient({ region }), kms: new KMSClient({ region }), clock: systemClock, taskState: actionTaskState(core.saveState) });
    },
  };
}
