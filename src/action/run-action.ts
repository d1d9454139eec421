// Builds the merge phase from the runner's environment: the GitHub gateway, the CloudWatch audit log and
// ledger named by the repo config, the executors, redaction, Slack; runs it; reports on the PR.
import * as core from '@actions/core';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionContext } from './context.js';
import type { PhaseResult } from '../usecases/phase-result.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { GitHubGateway, PullRequestInfo } from '../ports/github.js';
import { runMergePhase, type MergePhaseDeps } from '../usecases/merge-phase.js';
import { mergeTriggerFromEvent } from '../usecases/merge-trigger.js';
import { maskPublished, maskReport, type MergePhaseReport, type PullRequestReport, type RunbookReport } from '../usecases/merge-report.js';
import { RESULT_COMMENT_MARKER, renderResultComment } from '../render/result-comment.js';
import { createSlackNotifier } from '../adapters/slack/slack-notifier.js';
import { createExecutorFactory, type ExecutorBuilders } from '../adapters/executor-factory.js';
import { createSsmExecutor } from '../adapters/aws/ssm-executor.js';
import { createLocalExecutor } from '../adapters/local/local-executor.js';
import { createGitHubGateway } from '../adapters/github/octokit-gateway.js';
import { createCloudWatchAuditLog } from '../adapters/aws/cloudwatch-audit-log.js';
import { createCloudWatchLedger } from '../adapters/aws/cloudwatch-ledger.js';
import { refuse } from '../run/outcome.js';
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

export async function runFromAction(context: ActionContext, collaborators?: MergeCollaborators): Promise<PhaseResult> {
  const trigger = mergeTriggerFromEvent(context.eventName, context.payload, context.sha);
  const built = collaborators ?? productionCollaborators(context);
  const github = built.github;
  const secretValues = secretValuesOf(context);
  for (const value of secretValues) context.reporter.mask(value);
  const pendingPath = join(context.tempDir, `opsgate-pending-${context.runId}.json`);
  core.saveState(PENDING_STATE, pendingPath);
  const slack = context.inputs.slackWebhookUrl
    ? createSlackNotifier({ webhookUrl: context.inputs.slackWebhookUrl, repository: `${context.owner}/${context.repo}`, workflowRunUrl: context.workflowRunUrl, warn: (m) => context.reporter.warning(m) })
    : undefined;

  const deps: MergePhaseDeps = {
    github,
    repository: `${context.owner}/${context.repo}`,
    configPath: context.inputs.configPath,
    runbooksGlob: context.inputs.runbooksGlob,
    auditSinks: built.auditSinks,
    executors: createExecutorFactory(built.executorBuilders),
    secretValues,
    clock: built.clock,
    signal: context.signal,
    reporter: context.reporter,
    runId: context.runId,
    workflowRunUrl: context.workflowRunUrl,
    async notify(event, pr, report) {
      if (event === 'start') writePending(pendingPath, pr, report, context.workflowRunUrl, secretValues);
      // Cancelled: the runner kills the process soon; Slack gets one short try.
      await slack?.notify(event, pr, report, context.signal.aborted ? 1000 : undefined);
    },
    onPullRequestReport: (report) => reportOnPullRequest(github, report, context, pendingPath, secretValues),
  };
  const ran = await runMergePhase(trigger, deps);
  const report = maskReport(ran, secretValues, ran.pullRequests.flatMap((pr) => pr.redactPatterns ?? []));
  if (report.pullRequests.length === 0) await context.reporter.summary(maskPublished(`## opsgate\n\n${report.outcome.reasonCode}: ${report.outcome.message}\n`, secretValues));
  return { outcome: report.outcome, result: resultJson(report) };
}

/** The post: step. Posts the comment the main step could not (cancelled or killed before it reported). */
export async function postFromAction(context: ActionContext, github?: GitHubGateway): Promise<void> {
  const path = core.getState(PENDING_STATE);
  if (!path || !existsSync(path)) return;
  const pending = JSON.parse(readFileSync(path, 'utf8')) as PendingComment;
  try {
    await (github ?? createGitHub(context)).upsertStickyComment(pending.pullRequest, RESULT_COMMENT_MARKER, pending.body);
    rmSync(path, { force: true });
    context.reporter.info(`opsgate: the main step ended before reporting; posted its interrupted result on #${pending.pullRequest}.`);
  } catch (error) {
    context.reporter.warning(`opsgate could not post the interrupted result on #${pending.pullRequest}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function secretValuesOf(context: ActionContext): string[] {
  const values = [context.inputs.githubToken, context.inputs.membersToken, context.inputs.slackWebhookUrl];
  for (const name of context.inputs.secretEnv) {
    const value = context.env[name];
    if (value) values.push(value);
    else context.reporter.warning(`secret-env names ${name}, but it is not set in this step's environment; nothing to mask for it.`);
  }
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** What the post step posts if this process dies mid-run: the runbook started and its result is unknown. */
function writePending(path: string, pr: PullRequestInfo, report: RunbookReport, runUrl: string | undefined, secrets: string[]): void {
  const interrupted: PullRequestReport = {
    number: pr.number,
    url: pr.htmlUrl,
    mergeSha: pr.mergeCommitSha ?? '',
    outcome: refuse('cancelled', `The job stopped while ${report.path} was running, before opsgate could report.`),
    runbooks: [{ ...report, outcome: refuse('cancelled', 'The job stopped (cancelled or the runner died) before this runbook finished. The audit transcript has what ran; opsgate never resumes it: the next attempt reports it as interrupted.') }],
    deleted: [],
  };
  const pending: PendingComment = { pullRequest: pr.number, body: maskPublished(renderResultComment(maskReport(interrupted, secrets), { workflowRunUrl: runUrl }), secrets) };
  writeFileSync(path, JSON.stringify(pending));
}

async function reportOnPullRequest(github: GitHubGateway, report: PullRequestReport, context: ActionContext, pendingPath: string, secrets: string[]): Promise<void> {
  const masked = maskReport(report, secrets, report.redactPatterns);
  const body = maskPublished(renderResultComment(masked, { workflowRunUrl: context.workflowRunUrl }), secrets, report.redactPatterns);
  await context.reporter.summary(body);
  try {
    const upsert = github.upsertStickyComment(report.number, RESULT_COMMENT_MARKER, body);
    // Cancelled: the runner kills us 10 s after SIGINT. Wait briefly; the post: step posts it otherwise.
    if (context.signal.aborted) {
      writeFileSync(pendingPath, JSON.stringify({ pullRequest: report.number, body } satisfies PendingComment));
      await withDeadline(upsert, CANCELLED_COMMENT_WAIT_MS);
    } else {
      await upsert;
    }
    rmSync(pendingPath, { force: true });
  } catch (error) {
    // The comment is a courtesy; the outcome stands and the job summary has the same content.
    context.reporter.warning(`Could not write the result comment on #${report.number} (${error instanceof Error ? error.message : String(error)}); the job summary has the result.`);
  }
}

const CANCELLED_COMMENT_WAIT_MS = 2500;

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms after cancellation; the post: step will post it`)), ms);
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
        steps: (r.steps ?? []).map(({ index, name, status, exitCode, durationMs }) => ({ index, name, status, exitCode, durationMs })),
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
    throw new Error(
      'The repo config has no "audit" section: the merge phase writes every run\'s transcript and its run-once ledger to CloudWatch Logs. Add `audit: { log-group: /opsgate/audit, region: eu-west-1 }`.',
    );
  }
  const region = regionFor(context, { name: `audit log group ${audit.logGroup}`, region: audit.region });
  const client = new CloudWatchLogsClient({ region });
  return {
    ledger: createCloudWatchLedger({ client, logGroup: audit.logGroup, region }),
    open: (identity) =>
      createCloudWatchAuditLog({
        client,
        logGroup: audit.logGroup,
        region,
        clock: systemClock,
        // Kept when CloudWatch fails mid-run, so the transcript so far is never lost.
        fallbackPath: join(context.tempDir, `opsgate-transcript-${context.runId}-${identity.runbookPath.replace(/[^A-Za-z0-9._-]+/g, '_')}.jsonl`),
      }),
  };
}

/** The region a target's API calls go to: the target's own, else the job's AWS region. */
function regionFor(context: ActionContext, target: { name: string; region?: string }): string {
  const region = target.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(`Target "${target.name}" names no region and the job sets no AWS_REGION: add \`region:\` to the target in the repo config, or set aws-region in aws-actions/configure-aws-credentials.`);
  }
  return region;
}

function executorBuilders(context: ActionContext): ExecutorBuilders {
  return {
    // The local target runs steps on the runner itself (tests, demos, self-hosted runners inside the network).
    local: () => createLocalExecutor(),
    ssm: (target) => {
      const region = regionFor(context, target);
      return createSsmExecutor({
        ssm: new SSMClient({ region }),
        logs: target.outputLogGroup ? new CloudWatchLogsClient({ region }) : undefined,
        target,
        commentPrefix: `opsgate ${context.owner}/${context.repo}`,
        sleep: systemClock.sleep,
      });
    },
  };
}
