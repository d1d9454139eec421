// What a use case tells the person watching: the job log, annotations and the job summary. The action
// implements it over @actions/core; the CLI over the terminal; tests record it.
import type { Diagnostic } from '../runbook/diagnostics.js';

export interface Reporter {
  info(message: string): void;
  warning(message: string): void;
  /** File/line/column annotations; the adapter applies GitHub's 10-per-kind limit and says what it dropped. */
  annotate(diagnostics: readonly Diagnostic[]): void;
  /** Markdown for the job summary (appended). */
  summary(markdown: string): Promise<void>;
  /** Registers a value to be masked in everything printed from now on. */
  mask(secret: string): void;
}
