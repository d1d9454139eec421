// ajv validation with compiled-once schemas; every ajv error becomes one Diagnostic at the offending key or
// value, worded by schema-messages.ts, with a "did you mean" for unknown keys.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Diagnostic } from './diagnostics.js';
import { describePath } from './field-names.js';
import { schemaMessage, type SchemaMessage } from './schema-messages.js';
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

function unknownKey(e: ErrorObject, field: string): SchemaMessage {
  const key = (e.params as { additionalProperty: string }).additionalProperty;
  const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
  const guess = closest(key, known);
  return {
    code: 'unknown-key', atKey: true, path: `${e.instancePath}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
    message: `unknown key \`${key}\` in ${field}${guess ? `; did you mean \`${guess}\`?` : ''}`,
    fix: guess ? `rename it to \`${guess}\`` : known.length ? `remove it; allowed keys here: ${known.join(', ')}` : 'remove it',
  };
}

/** Errors inside an anyOf branch are summed up by the anyOf error itself; errors on key names by propertyNames. */
function isSummarisedElsewhere(e: ErrorObject, anyOfPaths: string[]): boolean {
  return e.propertyName !== undefined || anyOfPaths.some((p) => e.schemaPath.startsWith(`${p}/`));
}

export function schemaDiagnostics(kind: 'runbook' | 'config', file: string, parsed: ParsedYaml): Diagnostic[] {
  const validate = validators()[kind];
  if (validate(parsed.data)) return [];
  const errors = validate.errors ?? [];
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
  const documentName = kind === 'runbook' ? 'the runbook' : 'the repo config';
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (isSummarisedElsewhere(e, anyOfPaths)) continue;
    const field = describePath(e.instancePath, parsed.data, documentName);
    const m = e.keyword === 'additionalProperties' ? unknownKey(e, field) : schemaMessage(e, field);
    if (!m) continue;
    const span = locatePath(parsed, m.path ?? e.instancePath, m.atKey ?? false);
    const key = `${span.start.line}:${span.start.column}:${m.code}`;
    if (!seen.has(key)) out.push({ file, span, severity: 'error', code: m.code, message: m.message, ...(m.fix ? { fix: m.fix } : {}) });
    seen.add(key);
  }
  return out;
}
