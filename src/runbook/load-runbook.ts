// Runbook: parse -> schema -> semantics (durations, window, step shapes, names) -> typed model with defaults.
// References to the repo config are checked in references.ts.
import type { Diagnostic } from './diagnostics.js';
import type { Runbook, SourceSpan, Step } from './model.js';
import { DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, parseDuration, parseRfc3339 } from './durations.js';
import { locatePath, parseYamlSource, type ParsedYaml } from './parse-yaml.js';
import { schemaDiagnostics } from './schema-check.js';

type Raw = Record<string, unknown>;

export interface LoadedRunbook {
  runbook?: Runbook;
  parsed: ParsedYaml;
  diagnostics: Diagnostic[];
}

function err(file: string, span: SourceSpan, code: string, message: string, fix?: string): Diagnostic {
  return { file, span, severity: 'error', code, message, ...(fix ? { fix } : {}) };
}

function stepShapeDiagnostics(file: string, parsed: ParsedYaml, step: Raw, i: number): Diagnostic[] {
  const p = `/steps/${i}`;
  const out: Diagnostic[] = [];
  const has = (k: string) => step[k] !== undefined;
  if (has('run') && has('sql')) out.push(err(file, locatePath(parsed, `${p}/sql`, true), 'step-run-and-sql', `step "${String(step.name)}" has both \`run\` and \`sql\``, 'split it into two steps'));
  else if (!has('run') && !has('sql')) out.push(err(file, locatePath(parsed, p), 'step-no-action', `step "${String(step.name)}" has neither \`run\` nor \`sql\``, 'add `run: <shell>` or `sql: <statements>` with `database:`'));
  if (has('sql') && !has('database')) out.push(err(file, locatePath(parsed, `${p}/sql`, true), 'sql-without-database', `SQL step "${String(step.name)}" does not name a \`database\``, 'add `database: <name from the repo config>`'));
  if (has('run') && !has('sql')) {
    for (const k of ['database', 'transaction', 'expect']) if (has(k)) out.push(err(file, locatePath(parsed, `${p}/${k}`, true), 'key-not-for-shell', `\`${k}\` only applies to \`sql\` steps`, `remove \`${k}\``));
  }
  if (has('sql') && has('working-directory')) out.push(err(file, locatePath(parsed, `${p}/working-directory`, true), 'key-not-for-sql', '`working-directory` only applies to `run` steps', 'remove `working-directory`'));
  if (typeof step.timeout === 'string') {
    const s = parseDuration(step.timeout);
    if (s === undefined || s === 0) out.push(err(file, locatePath(parsed, `${p}/timeout`), 'bad-duration', `timeout "${step.timeout}" is not a duration`, 'write it like 30s, 5m or 1h30m'));
    else if (s > MAX_TIMEOUT_SECONDS) out.push(err(file, locatePath(parsed, `${p}/timeout`), 'bad-duration', `timeout "${step.timeout}" is longer than the 48h maximum`, 'use at most 48h, or split the step'));
  }
  return out;
}

function windowDiagnostics(file: string, parsed: ParsedYaml, w: Raw | undefined): Diagnostic[] {
  if (!w) return [];
  const out: Diagnostic[] = [];
  const times: Record<string, number | undefined> = {};
  for (const k of ['not-before', 'not-after']) {
    if (typeof w[k] !== 'string') continue;
    times[k] = parseRfc3339(w[k] as string);
    if (times[k] === undefined) out.push(err(file, locatePath(parsed, `/window/${k}`), 'bad-timestamp', `window.${k} "${String(w[k])}" is not an RFC 3339 timestamp with an offset`, `write it like 2026-11-23T10:00:00+09:00 (or ...Z for UTC); quote it if YAML reads it otherwise`));
  }
  const nb = times['not-before'];
  const na = times['not-after'];
  if (nb !== undefined && na !== undefined && nb >= na) out.push(err(file, locatePath(parsed, '/window/not-after'), 'window-reversed', 'window.not-after is not later than window.not-before', 'swap the two times or fix the date'));
  return out;
}

function duplicateNameDiagnostics(file: string, parsed: ParsedYaml, steps: Raw[]): Diagnostic[] {
  const seen = new Map<string, number>();
  const out: Diagnostic[] = [];
  steps.forEach((s, i) => {
    const name = String(s.name);
    const first = seen.get(name);
    if (first !== undefined) out.push(err(file, locatePath(parsed, `/steps/${i}/name`), 'duplicate-step-name', `step name "${name}" is already used by step ${first + 1}`, 'give each step a unique name'));
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
export function loadRunbook(path: string, input: Uint8Array | string): LoadedRunbook {
  const parsed = parseYamlSource(path, input, 'runbook');
  if (parsed.diagnostics.length || parsed.data === undefined) return { parsed, diagnostics: parsed.diagnostics };
  const schema = schemaDiagnostics('runbook', path, parsed);
  const d = parsed.data as Raw;
  const steps = Array.isArray(d.steps) ? (d.steps as unknown[]).filter((s): s is Raw => !!s && typeof s === 'object' && !Array.isArray(s)) : [];
  const semantic = [
    ...(Array.isArray(d.steps) ? (d.steps as unknown[]).flatMap((s, i) => (s && typeof s === 'object' && !Array.isArray(s) ? stepShapeDiagnostics(path, parsed, s as Raw, i) : [])) : []),
    ...windowDiagnostics(path, parsed, d.window && typeof d.window === 'object' ? (d.window as Raw) : undefined),
    ...duplicateNameDiagnostics(path, parsed, steps),
  ];
  const taken = new Set(schema.map((x) => `${x.span.start.line}:${x.span.start.column}`));
  // One message per place: the semantic one is dropped where the schema already spoke.
  const diagnostics = [...schema, ...semantic.filter((x) => !taken.has(`${x.span.start.line}:${x.span.start.column}`))];
  if (diagnostics.length) return { parsed, diagnostics };
  return { parsed, diagnostics, runbook: toRunbook(path, d) };
}
