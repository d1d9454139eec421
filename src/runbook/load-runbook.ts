// Runbook: parse -> schema -> semantics (durations, window, step shapes, names) -> typed model with defaults.
// References to the repo config are checked in references.ts.
import { problem, type Diagnostic } from './diagnostics.js';
import type { Runbook, Step } from './model.js';
import { checkDuration, checkRfc3339, DEFAULT_TIMEOUT_SECONDS, DURATION_FORMS, parseDuration } from './durations.js';
import { stepLabel } from './field-names.js';
import { locatePath, parseYamlSource, type ParsedYaml } from './parse-yaml.js';
import { schemaDiagnostics } from './schema-check.js';
import { sourceInput, type SourceFile } from './load-result.js';

type Raw = Record<string, unknown>;

export interface LoadedRunbook {
  runbook?: Runbook;
  parsed: ParsedYaml;
  diagnostics: Diagnostic[];
}


function stepShapeDiagnostics(file: string, parsed: ParsedYaml, step: Raw, i: number): Diagnostic[] {
  const p = `/steps/${i}`;
  const label = stepLabel(i, step.name);
  const out: Diagnostic[] = [];
  const has = (k: string) => step[k] !== undefined;
  const at = (key: string, preferKey = true) => locatePath(parsed, `${p}/${key}`, preferKey);
  if (has('run') && has('sql')) out.push(problem(file, at('sql'), 'step-run-and-sql', `${label} has both \`run\` and \`sql\``, 'split it into two steps: one with `run`, one with `sql`'));
  else if (!has('run') && !has('sql')) out.push(problem(file, locatePath(parsed, p), 'step-no-action', `${label} has neither \`run\` nor \`sql\``, 'add `run: <shell script>`, or `sql: <statements>` with `database: <name>`'));
  if (has('sql') && !has('database')) out.push(problem(file, at('sql'), 'sql-without-database', `SQL ${label} does not name a \`database\``, 'add `database: <name from the repo config>`'));
  if (has('run') && !has('sql')) {
    for (const k of ['database', 'transaction', 'expect']) if (has(k)) out.push(problem(file, at(k), 'key-not-for-shell', `\`${k}\` only applies to \`sql\` steps, and ${label} is a \`run\` step`, `remove \`${k}\``));
  }
  if (has('sql') && has('working-directory')) out.push(problem(file, at('working-directory'), 'key-not-for-sql', `\`working-directory\` only applies to \`run\` steps, and ${label} is a \`sql\` step`, 'remove `working-directory`'));
  const expect = step.expect && typeof step.expect === 'object' ? (step.expect as Raw) : {};
  if (has('sql') && step.transaction === false && expect['max-affected-rows'] !== undefined) {
    out.push(problem(file, at('transaction', false), 'limit-without-transaction',
      `${label} sets \`expect.max-affected-rows\` with \`transaction: false\`: without a transaction, rows over the limit are already committed and cannot be rolled back`,
      'remove `transaction: false` (the step then runs in one transaction), or remove `expect.max-affected-rows`'));
  }
  if (typeof step.timeout === 'string') {
    const checked = checkDuration(step.timeout);
    if ('problem' in checked) out.push(problem(file, at('timeout', false), 'bad-duration', `\`timeout\` "${step.timeout}" in ${label} ${checked.problem}`, `write ${DURATION_FORMS}`));
  }
  return out;
}

function windowDiagnostics(file: string, parsed: ParsedYaml, w: Raw | undefined): Diagnostic[] {
  if (!w) return [];
  const out: Diagnostic[] = [];
  const times: Record<string, number | undefined> = {};
  for (const k of ['not-before', 'not-after']) {
    if (typeof w[k] !== 'string') continue;
    const checked = checkRfc3339(w[k] as string);
    if ('value' in checked) times[k] = checked.value;
    else out.push(problem(file, locatePath(parsed, `/window/${k}`), 'bad-timestamp', `\`window.${k}\` "${String(w[k])}" ${checked.problem}`, 'write a real date and time with an offset, like 2026-11-23T10:00:00+09:00 (or ...Z for UTC)'));
  }
  const nb = times['not-before'];
  const na = times['not-after'];
  if (nb !== undefined && na !== undefined && nb >= na) out.push(problem(file, locatePath(parsed, '/window/not-after'), 'window-reversed', '`window.not-after` is not later than `window.not-before`, so the window never opens', 'swap the two times or fix the date'));
  return out;
}

function duplicateNameDiagnostics(file: string, parsed: ParsedYaml, steps: Raw[]): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  steps.forEach((s, i) => {
    const name = String(s.name);
    const first = seen.get(name);
    if (first !== undefined) out.push(problem(file, locatePath(parsed, `/steps/${i}/name`), 'duplicate-step-name', `step ${i + 1} is named "${name}", like step ${first + 1}; step names must be unique`, 'give each step a unique name'));
    else seen.set(name, i);
  });
  return out;
}

function toStep(s: Raw, index: number): Step {
  const base = {
    name: String(s.name),
    index,
    timeoutSeconds: typeof s.timeout === 'string' ? (parseDuration(s.timeout) ?? DEFAULT_TIMEOUT_SECONDS) : DEFAULT_TIMEOUT_SECONDS,
    continueOnError: s['continue-on-error'] === true,
  };
  if (typeof s.sql === 'string') {
    const expect = s.expect as Raw | undefined;
    return { ...base, kind: 'sql', sql: s.sql, database: String(s.database), transaction: s.transaction !== false,
      ...(typeof expect?.['max-affected-rows'] === 'number' ? { maxAffectedRows: expect['max-affected-rows'] } : {}) };
  }
  return { ...base, kind: 'shell', run: String(s.run), ...(typeof s['working-directory'] === 'string' ? { workingDirectory: s['working-directory'] } : {}) };
}

function toRunbook(path: string, d: Raw): Runbook {
  const w = d.window as Raw | undefined;
  const a = d.approvals as Raw | undefined;
  return {
    path, version: 1, title: String(d.title), target: String(d.target),
    ...(typeof d.ticket === 'string' ? { ticket: d.ticket } : {}),
    ...(typeof d.description === 'string' ? { description: d.description } : {}),
    ...(w ? { window: { ...(typeof w['not-before'] === 'string' ? { notBefore: w['not-before'] } : {}), ...(typeof w['not-after'] === 'string' ? { notAfter: w['not-after'] } : {}) } } : {}),
    ...(a ? { approvals: { ...(typeof a.required === 'number' ? { required: a.required } : {}), ...(Array.isArray(a.from) ? { from: a.from.map(String) } : {}) } } : {}),
    steps: (d.steps as Raw[]).map(toStep),
  };
}

/** Loads one runbook file without looking at the repo config. Never throws. */
export function loadRunbook(source: SourceFile): LoadedRunbook {
  const path = source.path;
  const parsed = parseYamlSource(path, sourceInput(source), 'runbook');
  if (parsed.diagnostics.length || parsed.data === undefined) return { parsed, diagnostics: parsed.diagnostics };
  const schema = schemaDiagnostics('runbook', path, parsed);
  const d = parsed.data as Raw;
  const steps = Array.isArray(d.steps) ? (d.steps as unknown[]).filter((s): s is Raw => !!s && typeof s === 'object' && !Array.isArray(s)) : [];
  const semantic = [
    ...(Array.isArray(d.steps) ? (d.steps as unknown[]).flatMap((s, i) => (s && typeof s === 'object' && !Array.isArray(s) ? stepShapeDiagnostics(path, parsed, s as Raw, i) : [])) : []),
    ...windowDiagnostics(path, parsed, d.window && typeof d.window === 'object' ? (d.window as Raw) : undefined),
    ...duplicateNameDiagnostics(path, parsed, steps),
  ];
  const taken = new Set(semantic.map((x) => `${x.span.start.line}:${x.span.start.column}`));
  // One message per place: the semantic one is more specific (it knows durations, dates, step kinds).
  const diagnostics = [...semantic, ...schema.filter((x) => !taken.has(`${x.span.start.line}:${x.span.start.column}`))];
  if (diagnostics.length) return { parsed, diagnostics };
  return { parsed, diagnostics, runbook: toRunbook(path, d) };
}
