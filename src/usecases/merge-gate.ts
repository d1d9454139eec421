// The gates one checked runbook passes before anything runs, in order: approvals (fail closed), the digest
// reviewers saw, the time window, and the run-once ledger. Returns a refusal or what the run needs.
import type { Ledger, LedgerEntry } from '../ports/audit.js';
import type { Clock } from '../ports/clock.js';
import { TeamMembershipUnreadableError, type GitHubGateway, type PullRequestInfo } from '../ports/github.js';
import type { CheckedRunbook } from '../runbook/check.js';
import type { RepoConfig } from '../runbook/model.js';
import { proceed, refuse, unexpected, type Outcome } from '../run/outcome.js';
import { evaluateApprovals, requirementFor, type ApprovalDecision } from '../policy/approvals.js';
import { fetchApprovalSnapshot } from '../policy/approval-snapshot.js';
import { evaluateWindow } from '../policy/window.js';
import { checkDigest } from '../policy/digest-check.js';
import { shownDigestFor } from './merge-plan-digest.js';

export interface GateInput {
  github: GitHubGateway;
  pr: PullRequestInfo;
  repository: string;
  config: RepoConfig;
  checked: CheckedRunbook;
  /** Body of the sticky plan comment, or null when there is none. */
  planComment: string | null;
  ledger: Ledger;
  clock: Clock;
}

export type GateResult =
  | { passed: false; outcome: Outcome; approval?: ApprovalDecision; ledger?: LedgerEntry }
  | { passed: true; approval: ApprovalDecision; ledger: LedgerEntry };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function gateRunbook(input: GateInput): Promise<GateResult> {
  const approval = await approvalDecision(input);
  if ('outcome' in approval) return { passed: false, outcome: approval.outcome };
  if (!approval.approved) return { passed: false, outcome: refuse(approval.reasonCode, approval.message), approval };

  const digest = digestOutcome(input);
  if (digest) return { passed: false, outcome: digest, approval };

  const window = evaluateWindow(input.checked.runbook.window, input.clock.now());
  if (window.reasonCode !== 'ok') {
    const later =
      window.reasonCode === 'window-not-open'
        ? ` When the window is open, run the merge-phase workflow again for #${input.pr.number} (workflow_dispatch with input pull-request=${input.pr.number}, or its schedule): every gate is checked again.`
        : '';
    return { passed: false, outcome: refuse(window.reasonCode, `${input.checked.runbook.path}: ${window.message}${later}`), approval };
  }

  let ledger: LedgerEntry;
  try {
    ledger = await input.ledger.lookup(input.repository, input.pr.number, input.checked.digest);
  } catch (error) {
    const outcome = refuse('audit-unavailable', `Cannot read the run ledger, so opsgate cannot tell whether ${input.checked.runbook.path} already ran; nothing ran. ${errorText(error)}`);
    return { passed: false, outcome, approval };
  }
  const earlier = ledgerOutcome(input.checked.runbook.path, ledger);
  if (earlier) return { passed: false, outcome: earlier, approval, ledger };
  return { passed: true, approval, ledger };
}

async function approvalDecision(input: GateInput): Promise<ApprovalDecision | { outcome: Outcome }> {
  const requirement = requirementFor(input.config.policy, input.checked.runbook);
  try {
    const snapshot = await fetchApprovalSnapshot(input.github, input.pr, requirement);
    return evaluateApprovals(snapshot, requirement);
  } catch (error) {
    // Fail closed: whatever could not be read, nothing runs.
    if (error instanceof TeamMembershipUnreadableError) return { outcome: refuse('team-membership-unreadable', error.message) };
    return {
      outcome: unexpected(
        'github-unavailable',
        `Could not read the reviews of #${input.pr.number} to check approvals for ${input.checked.runbook.path}, so nothing ran: ${errorText(error)}`,
      ),
    };
  }
}

function digestOutcome(input: GateInput): Outcome | null {
  const { path } = input.checked.runbook;
  const shown = shownDigestFor(input.planComment, path, input.pr.headSha);
  if ('missing' in shown) {
    return refuse(
      'digest-mismatch',
      `${path}: cannot confirm that what runs is what reviewers saw: ${shown.missing}. Nothing ran. Re-run the PR-phase workflow on a new PR with this runbook so reviewers see its plan.`,
    );
  }
  const check = checkDigest(shown.digest, input.checked.digest, path);
  return check.ok ? null : refuse(check.reasonCode, check.message);
}

function ledgerOutcome(path: string, entry: LedgerEntry): Outcome | null {
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
