// Annotations within GitHub's per-step budget (10 per kind): diagnostics get 9 of each, so opsgate's own warning
// and setFailed (an error annotation) are never the ones dropped; the rest is counted in the log.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoreReporter, DIAGNOSTIC_ANNOTATIONS_PER_KIND } from '../../src/action/core-reporter.js';
import type { Diagnostic } from '../../src/runbook/diagnostics.js';

let written: string[];
beforeEach(() => {
  written = [];
  // @actions/core writes workflow commands ("::error file=...::text") to stdout.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

const diagnostic = (severity: Diagnostic['severity'], line: number): Diagnostic => ({
  file: 'runbooks/a.yml',
  span: { start: { line, column: 3 }, end: { line, column: 9 } },
  severity,
  code: 'sql-ddl',
  message: `problem on line ${line}`,
});
const commands = (kind: string) => written.filter((w) => w.startsWith(`::${kind} `) || w.startsWith(`::${kind}::`));

describe('the core reporter', () => {
  it('annotates 9 errors and 9 warnings, logs how many more, and keeps room for its own notes', () => {
    const reporter = createCoreReporter();
    reporter.annotate([...Array.from({ length: 25 }, (_, i) => diagnostic('error', i + 1)), ...Array.from({ length: 12 }, (_, i) => diagnostic('warning', i + 1))]);
    expect(commands('error')).toHaveLength(DIAGNOSTIC_ANNOTATIONS_PER_KIND);
    expect(commands('warning')).toHaveLength(DIAGNOSTIC_ANNOTATIONS_PER_KIND);
    expect(commands('error')[0]).toMatch(/^::error title=opsgate%3A sql-ddl,file=runbooks\/a.yml,line=1,endLine=1,col=3,endColumn=9::problem on line 1/);
    expect(written.join('')).toContain('16 more errors (not annotated, GitHub shows 10 per step): see the plan comment');
    expect(written.join('')).toContain('3 more warnings (not annotated');
    // Every diagnostic is still in the log.
    expect(written.filter((w) => w.includes('runbooks/a.yml:') && !w.startsWith('::'))).toHaveLength(37);

    reporter.warning('Could not comment on #7');
    expect(commands('warning')).toHaveLength(10);
    reporter.warning('Could not set the status');
    expect(commands('warning')).toHaveLength(10);
    expect(commands('notice').join('')).toContain('Could not set the status');
  });
});
