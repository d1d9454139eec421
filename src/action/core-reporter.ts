// The Reporter over @actions/core: job log, annotations (within GitHub's per-step limits), job summary.
import * as core from '@actions/core';
import { formatDiagnostic, type Diagnostic } from '../runbook/diagnostics.js';
import type { Reporter } from '../ports/reporter.js';

/** GitHub shows at most 10 annotations of each kind per step. */
export const ANNOTATIONS_PER_KIND = 10;

export function createCoreReporter(): Reporter {
  const shown = { error: 0, warning: 0 };
  return {
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    annotate(diagnostics: readonly Diagnostic[]) {
      for (const d of diagnostics) {
        core.info(formatDiagnostic(d));
        if (shown[d.severity] >= ANNOTATIONS_PER_KIND) continue;
        shown[d.severity] += 1;
        const props: core.AnnotationProperties = {
          title: `opsgate: ${d.code}`,
          file: d.file,
          startLine: d.span.start.line,
          endLine: d.span.end.line,
          // GitHub honours columns only on single-line spans.
          ...(d.span.start.line === d.span.end.line ? { startColumn: d.span.start.column, endColumn: d.span.end.column } : {}),
        };
        const text = d.fix ? `${d.message}\nFix: ${d.fix}` : d.message;
        if (d.severity === 'error') core.error(text, props);
        else core.warning(text, props);
      }
    },
    async summary(markdown: string) {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    mask: (secret) => core.setSecret(secret),
  };
}
