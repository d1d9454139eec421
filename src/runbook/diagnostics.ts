// A problem found in a file, located precisely enough for an editor, a GitHub annotation and a human.
import type { SourceSpan } from './model.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Repository-relative path. */
  file: string;
  span: SourceSpan;
  severity: Severity;
  /** Stable kebab-case identifier, e.g. "unknown-key", "sql-update-without-where". */
  code: string;
  message: string;
  /** What to change, when there is a clear fix. */
  fix?: string;
}

/** `file:line:column: severity: message (fix)` — the one text form every surface prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const fix = d.fix ? ` Fix: ${d.fix}` : '';
  return `${d.file}:${d.span.start.line}:${d.span.start.column}: ${d.severity}: ${d.message}${fix}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Errors first, then by file, line and column, so output is stable and the worst is on top. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      a.file.localeCompare(b.file) ||
      a.span.start.line - b.span.start.line ||
      a.span.start.column - b.span.start.column,
  );
}
