// The Reporter over @actions/core: job log, annotations (within GitHub's per-step limits), job summary.
import * as core from '@actions/core';
import { formatDiagnostic, type Diagnostic, type Severity } from '../runbook/diagnostics.js';
import type { Reporter } from '../ports/reporter.js';

/** GitHub shows at most 10 annotations of each kind per step. */
export const ANNOTATIONS_PER_KIND = 10;
/**
 * Diagnostics get one less: opsgate's own warning (e.g. "could not comment") and `setFailed` (an error
 * annotation) share the step's budget, and must not be the ones GitHub drops.
 */
export const DIAGNOSTIC_ANNOTATIONS_PER_KIND = ANNOTATIONS_PER_KIND - 1;

function annotationOf(d: Diagnostic): core.AnnotationProperties {
  return {
    title: `opsgate: ${d.code}`,
    file: d.file,
    startLine: d.span.start.line,
    endLine: d.span.end.line,
    // GitHub honours columns only on single-line spans.
    ...(d.span.start.line === d.span.end.line ? { startColumn: d.span.start.column, endColumn: d.span.end.column } : {}),
  };
}

export function createCoreReporter(): Reporter {
  const shown: Record<Severity, number> = { error: 0, warning: 0 };
  let ownWarnings = 0;
  return {
    info: (message) => core.info(message),
    warning(message) {
      // Past the step's budget a warning annotation would be dropped: a notice has a budget of its own.
      if (shown.warning + ownWarnings < ANNOTATIONS_PER_KIND) core.warning(message);
      else core.notice(message);
      ownWarnings += 1;
    },
    annotate(diagnostics: readonly Diagnostic[]) {
      const dropped: Record<Severity, number> = { error: 0, warning: 0 };
      for (const d of diagnostics) {
        core.info(formatDiagnostic(d));
        if (shown[d.severity] >= DIAGNOSTIC_ANNOTATIONS_PER_KIND) {
          dropped[d.severity] += 1;
          continue;
        }
        shown[d.severity] += 1;
        const text = d.fix ? `${d.message}\nFix: ${d.fix}` : d.message;
        if (d.severity === 'error') core.error(text, annotationOf(d));
        else core.warning(text, annotationOf(d));
      }
      if (dropped.error) core.info(`${dropped.error} more error${dropped.error === 1 ? '' : 's'} (not annotated, GitHub shows ${ANNOTATIONS_PER_KIND} per step): see the plan comment or the lines above.`);
      if (dropped.warning) core.info(`${dropped.warning} more warning${dropped.warning === 1 ? '' : 's'} (not annotated, GitHub shows ${ANNOTATIONS_PER_KIND} per step): see the plan comment or the lines above.`);
    },
    async summary(markdown: string) {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    mask: (secret) => core.setSecret(secret),
  };
}
