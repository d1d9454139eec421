// ajv validation with compiled-once schemas; every ajv error becomes a Diagnostic at the offending key or value,
// with a "did you mean" for unknown keys.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Diagnostic } from './diagnostics.js';
import { locatePath, type ParsedYaml } from './parse-yaml.js';
import { configSchema, runbookSchema } from './schema-definitions.js';

let compiled: { runbook: ValidateFunction; config: ValidateFunction } | undefined;

function validators(): { runbook: ValidateFunction; config: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true, strictTypes: false });
    compiled = { runbook: ajv.compile(runbookSchema), config: ajv.compile(configSchema) };
  }
  return compiled;
}

/** Levenshtein distance, small inputs only. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The closest candidate within a small edit distance, for "did you mean". */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function fieldName(path: string): string {
  return path === '' ? 'the document' : `\`${path.slice(1).replace(/\//g, '.')}\``;
}

function toDiagnostic(file: string, parsed: ParsedYaml, e: ErrorObject): Diagnostic | undefined {
  const path = e.instancePath;
  const at = (p: string, key = false) => locatePath(parsed, p, key);
  const base = { file, severity: 'error' as const };
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(key, known);
      return { ...base, span: at(`${path}/${key}`, true), code: 'unknown-key',
        message: `unknown key \`${key}\` in ${fieldName(path)}${guess ? `; did you mean \`${guess}\`?` : ''}`,
        fix: guess ? `rename it to \`${guess}\`` : `remove it; allowed keys: ${known.join(', ') || '(none)'}` };
    }
    case 'required': {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return { ...base, span: at(path, true), code: 'missing-key', message: `${fieldName(path)} is missing the required key \`${key}\``, fix: `add \`${key}: ...\`` };
    }
    case 'type':
      return { ...base, span: at(path), code: 'wrong-type', message: `${fieldName(path)} must be ${String((e.params as { type: string }).type).replace(',', ' or ')}`, fix: 'change the value to the expected type' };
    case 'enum':
      return { ...base, span: at(path), code: 'invalid-value', message: `${fieldName(path)} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { ...base, span: at(path), code: 'invalid-value', message: `${fieldName(path)} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    case 'pattern': {
      const examples = (e.parentSchema as { examples?: unknown[]; description?: string });
      const hint = examples.description ?? (examples.examples ? `e.g. ${examples.examples.join(', ')}` : `pattern ${(e.params as { pattern: string }).pattern}`);
      return { ...base, span: at(path), code: 'invalid-value', message: `${fieldName(path)} has an invalid value: ${hint}`, fix: `match ${(e.params as { pattern: string }).pattern}` };
    }
    case 'anyOf':
    case 'if':
      return undefined;
    default:
      return { ...base, span: at(path), code: 'invalid-value', message: `${fieldName(path)} ${e.message ?? 'is invalid'}` };
  }
}

export function schemaDiagnostics(kind: 'runbook' | 'config', file: string, parsed: ParsedYaml): Diagnostic[] {
  const validate = validators()[kind];
  if (validate(parsed.data)) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const d = toDiagnostic(file, parsed, e);
    if (!d) continue;
    const k = `${d.span.start.line}:${d.span.start.column}:${d.code}`;
    if (!seen.has(k)) out.push(d);
    seen.add(k);
  }
  return out;
}
