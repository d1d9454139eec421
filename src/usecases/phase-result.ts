import type { Outcome } from '../run/outcome.js';

/** What a phase hands back to the composition root: the outcome and the versioned JSON `result` output. */
export interface PhaseResult {
  outcome: Outcome;
  /** Serialised as the `result` output; always has `version: 1`, `phase` and `outcome`. */
  result: { version: 1; phase: string; outcome: Outcome } & Record<string, unknown>;
}
