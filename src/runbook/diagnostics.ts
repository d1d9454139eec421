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

/** Problems about the file as a whole (too large, not UTF-8, empty) point at its first character. */
export const WHOLE_FILE: SourceSpan = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

/** An error diagnostic; the one constructor the loaders share. */
export function problem(file: string, span: SourceSpan, code: string, message: string, fix?: string): Diagnostic {
  return { file, span, severity: 'error', code, message, ...(fix ? { fix } : {}) };
}

/** Ends a sentence with a full stop unless it already ends with punctuation. */
function sentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** `file:line:column: severity: message. Fix: fix.` — the one text form every surface prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const fix = d.fix ? ` Fix: ${sentence(d.fix)}` : '';
  return `${d.file}:${d.span.start.line}:${d.span.start.column}: ${d.severity}: ${sentence(d.message)}${fix}`;
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
