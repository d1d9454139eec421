// The gates one checked runbook passes before anything runs, in order: approvals (fail closed), the digest
// reviewers saw, the time window, and the run-once ledger. Returns a refusal or what the run needs.
import type { Ledger, LedgerEntry, RunSlot } from '../ports/audit.js';
import type { Clock } from '../ports/clock.js';
import type { GitHubGateway, PullRequestInfo } from '../ports/github.js';
import type { CheckedRunbook } from '../runbook/check.js';
import type { RepoConfig } from '../runbook/model.js';
import { proceed, refuse, unexpected, type Outcome } from '../run/outcome.js';
import { evaluateApprovals, requirementFor, type ApprovalDecision } from '../policy/approvals.js';
import { fetchApprovalSnapshot } from '../policy/approval-snapshot.js';
import { evaluateWindow } from '../policy/window.js';
import { errorText } from '../run/error-text.js';
import { compareWithReviewed, type DigestComparison, type ReviewedDigest } from './merge-plan-digest.js';

export interface GateInput {
  github: GitHubGateway;
  pr: PullRequestInfo;
  repository: string;
  config: RepoConfig;
  checked: CheckedRunbook;
  /** What reviewers approved: the plan comment, or the digest at the approved head when there is no comment. */
  reviewed: ReviewedDigest;
  ledger: Ledger;
  clock: Clock;
  /** Set when this attempt will run: the run slot is claimed for it once the ledger allows. Unset for checks only (merge queue). */
  runId?: string;
  /** GITHUB_JOB, recorded in the claim. */
  job?: string;
}

export type GateResult =
  | { passed: false; outcome: Outcome; approval?: ApprovalDecision; ledger?: LedgerEntry; digest?: DigestComparison }
  | { passed: true; approval: ApprovalDecision; ledger: LedgerEntry; digest: DigestComparison };

export async function gateRunbook(input: GateInput): Promise<GateResult> {
  const approval = await approvalDecision(input);
  if ('outcome' in approval) return { passed: false, outcome: approval.outcome };
  if (!approval.approved) return { passed: false, outcome: refuse(approval.reasonCode, approval.message), approval };

  const verdict = compareWithReviewed(input.reviewed, input.checked.runbook.path, input.checked.digest, input.pr.headSha);
  if (!verdict.ok) return { passed: false, outcome: refuse('digest-mismatch', verdict.message), approval };
  const digest = verdict.comparison;

  const window = evaluateWindow(input.checked.runbook.window, input.clock.now());
  if (window.reasonCode !== 'ok') {
    const later = window.reasonCode === 'window-not-open' ? ` ${rerunWhenOpen(input.pr.number)}` : '';
    return { passed: false, outcome: refuse(window.reasonCode, `${input.checked.runbook.path}: ${window.message}${later}`), approval, digest };
  }

  let ledger: LedgerEntry;
  try {
    ledger = await input.ledger.lookup(runSlot(input));
  } catch (error) {
    // An outage or a permission problem, not a refusal: the same code is an error everywhere.
    const outcome = unexpected('audit-unavailable', `Cannot read the run ledger, so opsgate cannot tell whether ${input.checked.runbook.path} already ran; nothing ran. ${errorText(error)}`);
    return { passed: false, outcome, approval, digest };
  }
  const earlier = ledgerOutcome(input.checked.runbook.path, ledger);
  if (earlier) return { passed: false, outcome: earlier, approval, ledger, digest };
  const taken = input.runId === undefined ? null : await claimOutcome(input, input.runId);
  if (taken) return { passed: false, outcome: taken, approval, ledger, digest };
  return { passed: true, approval, ledger, digest };
}

/** How a runbook refused as window-not-open gets to run: the merge already happened, so a re-run re-checks it. */
function rerunWhenOpen(pullRequest: number): string {
  return (
    `When the window is open, re-run the merge-phase workflow for #${pullRequest} through workflow_dispatch with the input pull-request: ${pullRequest}, ` +
    'or let its schedule re-check it (a schedule re-checks only the PR that made the default branch\'s head commit). Every gate is checked again then.'
  );
}

async function approvalDecision(input: GateInput): Promise<ApprovalDecision | { outcome: Outcome }> {
  const requirement = requirementFor(input.config.policy, input.checked.runbook);
  try {
    const snapshot = await fetchApprovalSnapshot(input.github, input.pr, requirement);
    return evaluateApprovals(snapshot, requirement);
  } catch (error) {
    // Fail closed: whatever could not be read, nothing runs. (An unreadable team is already a decision of
    // fetchApprovalSnapshot's readTeam, not an error here.)
    return {
      outcome: unexpected(
        'github-unavailable',
        `Could not read the reviews of #${input.pr.number} to check approvals for ${input.checked.runbook.path}, so nothing ran: ${errorText(error)}`,
      ),
    };
  }
}

function ledgerOutcome(path: string, entry: LedgerEntry): Outcome | null {
  if (entry.state === 'completed' && entry.outcome !== 'proceed') {
    return refuse('already-ran', `${path} already ran for this PR and digest (run ${entry.runId ?? '?'}) and ended with ${entry.reasonCode ?? entry.outcome ?? 'a failure'}; opsgate does not run it again. Open a new PR with a runbook that finishes the job.`);
  }
  if (entry.state === 'completed') {
    return proceed('already-completed', `${path} already ran for this PR and digest (run ${entry.runId ?? '?'}, ${entry.reasonCode ?? entry.outcome ?? 'finished'}); skipped, nothing ran again.`);
  }
  if (entry.state === 'interrupted') {
    const step = entry.stepInFlight ? `step ${entry.stepInFlight.index + 1} "${entry.stepInFlight.name}"` : 'a step';
    return refuse(
      'interrupted-earlier',
      `${path} started earlier (run ${entry.runId ?? '?'}) and never finished: ${step} was in flight when it stopped. ` +
        'opsgate never resumes or repeats a run by itself; check the audit transcript for what happened, then open a new PR with a runbook that finishes the job.',
    );
  }
  return null;
}

/** This runbook's slot in the ledger: the path counts, so two identical files in one PR are two runbooks. */
function runSlot(input: GateInput): RunSlot {
  return { repository: input.repository, pullRequest: input.pr.number, runbookPath: input.checked.runbook.path, runbookDigest: input.checked.digest };
}

/** Lookup then run is not atomic: the run slot is claimed, so of two concurrent attempts only one runs. */
async function claimOutcome(input: GateInput, runId: string): Promise<Outcome | null> {
  const { path } = input.checked.runbook;
  try {
    const claim = await input.ledger.claim({ ...runSlot(input), runId, ...(input.job ? { job: input.job } : {}) });
    return claim.claimed ? null : refuse('already-running', `${path} is being run by another attempt for this PR and digest, so this one did not run: ${claim.message}`);
  } catch (error) {
    return unexpected('audit-unavailable', `Cannot claim the run of ${path} in the run ledger, so nothing ran. ${errorText(error)}`);
  }
}
