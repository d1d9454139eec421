// What the merge phase found and did, as data: rendered into the result comment and the job summary, and
// serialised into the `result` output. Pure.
import type { AuditLocation, LedgerEntry } from '../ports/audit.js';
import type { StepStatus, TargetResult } from '../ports/executor.js';
import type { Diagnostic } from '../runbook/diagnostics.js';
import type { RunbookWindow } from '../runbook/model.js';
import { proceed, type Outcome } from '../run/outcome.js';
import { createRedactor } from '../run/redaction.js';
import type { DigestComparison } from './merge-plan-digest.js';

export interface StepReport {
  index: number;
  name: string;
  status: StepStatus | 'not-run';
  exitCode: number | null;
  durationMs: number | null;
  message: string;
  /** The last lines of output, already redacted. */
  outputTail: string[];
  outputBytes?: number;
  /** SSM runs one step on many instances: how it went on each (already redacted). */
  perTarget?: TargetResult[];
}

export interface RunbookReport {
  path: string;
  title?: string;
  digest?: string;
  target?: string;
  outcome: Outcome;
  /** "2 of 2 approvals: alice, bob". */
  approvalSummary?: string;
  approvers?: string[];
  window?: RunbookWindow;
  ledger?: LedgerEntry;
  /** What the digest at merge was compared with (the plan comment, or the approved head when there is none). */
  digestCheck?: DigestComparison;
  steps?: StepReport[];
  audit?: AuditLocation;
  diagnostics?: Diagnostic[];
}

export interface PullRequestReport {
  number: number;
  url: string;
  mergeSha: string;
  author?: string;
  outcome: Outcome;
  runbooks: RunbookReport[];
  /** Runbooks the PR deleted: nothing to run, listed for the record. */
  deleted: string[];
  /** The config's policy.redact patterns, for the last masking pass over what is published. */
  redactPatterns?: string[];
}

export interface MergePhaseReport {
  trigger: string;
  outcome: Outcome;
  pullRequests: PullRequestReport[];
  /** True when the job was cancelled while the phase ran. */
  cancelled: boolean;
}

const SEVERITY = { error: 3, refuse: 2, proceed: 0 } as const;
const PROCEED_RANK: Record<string, number> = { ok: 3, 'already-completed': 2, 'no-runbooks': 1 };

/** The outcome that speaks for several: the worst failure, else the most telling success. */
export function combineOutcomes(outcomes: readonly Outcome[], empty: Outcome = proceed('no-runbooks', 'No runbooks to run.')): Outcome {
  if (outcomes.length === 0) return empty;
  if (outcomes.length === 1) return outcomes[0]!;
  const worst = [...outcomes].sort((a, b) => SEVERITY[b.decision] - SEVERITY[a.decision])[0]!;
  if (worst.decision !== 'proceed') {
    const others = outcomes.filter((o) => o.decision !== 'proceed').length - 1;
    return others > 0 ? { ...worst, message: `${worst.message} (and ${others} more not completed; see the result comment)` } : worst;
  }
  const best = [...outcomes].sort((a, b) => (PROCEED_RANK[b.reasonCode] ?? 0) - (PROCEED_RANK[a.reasonCode] ?? 0))[0]!;
  const summary = outcomes.map((o) => o.message).join(' ');
  return { ...best, message: summary };
}

/**
 * The last line of defence before text is published (comment, summary, Slack): secret values and the policy's
 * patterns become ***, through the same redactor (and the same minimum secret length) as the step output.
 */
export function publicationMask(secretValues: readonly string[], patterns: readonly string[] = []): (text: string) => string {
  return createRedactor({ secrets: secretValues, patterns: patterns.filter(compiles) }).redact;
}

export function maskPublished(text: string, secretValues: readonly string[], patterns: readonly string[] = []): string {
  return publicationMask(secretValues, patterns)(text);
}

/** Every string in the report masked (before rendering: escaping would hide a secret from a text pass). */
export function maskReport<T>(report: T, secretValues: readonly string[], patterns: readonly string[] = []): T {
  const mask = publicationMask(secretValues, patterns);
  return JSON.parse(JSON.stringify(report), (_key, value: unknown) => (typeof value === 'string' ? mask(value) : value)) as T;
}

/** An invalid pattern is reported by config validation; it must never stop publishing. */
function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'g');
    return true;
  } catch {
    return false;
  }
}
