// One sentence per ajv error: it names the field the way a user reads the file (1-based step numbers and step
// names), says what is wrong with the value found, and gives the fix. No ajv wording or regular expressions.
import type { ErrorObject } from 'ajv';

export interface SchemaMessage {
  code: string;
  message: string;
  fix?: string;
  /** Point at the key rather than the value. */
  atKey?: boolean;
  /** Where to point, when not at the error's own instance path. */
  path?: string;
}

type SchemaNode = { type?: string | string[]; items?: SchemaNode; examples?: unknown[]; description?: string; properties?: object; anyOf?: SchemaNode[] };

const TYPE_WORDS: Record<string, string> = {
  string: 'text', integer: 'a whole number', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a mapping (key: value lines)', null: 'empty',
};

const TYPE_FIXES: Record<string, string> = {
  string: 'write text; quote it if YAML reads it as a number, a date or true/false',
  integer: 'write a whole number such as 5',
  number: 'write a number',
  boolean: 'write true or false',
  array: 'write a list: one item per line, each starting with `- `',
  object: 'write `key: value` lines indented under this key',
};

/** What a YAML value is, in the words above. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return `${String(value)}`;
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

function typeWords(type: unknown): string {
  const types = (Array.isArray(type) ? type : String(type).split(',')).map(String);
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

function schemaWords(schema: SchemaNode | undefined): string {
  if (!schema) return 'a valid value';
  if (schema.type === 'array') return `a list of ${schemaWords(schema.items).replace(/^a /, '').replace(/^text$/, 'text')}`;
  return typeWords(schema.type ?? 'value');
}

function exampleText(schema: SchemaNode): string {
  return schema.examples?.length ? schema.examples.map((e) => JSON.stringify(e)).join(', ') : '';
}

type Params = Record<string, unknown>;

/** Turns one ajv error into a message; `field` is describePath() of the error's instance path. */
export function schemaMessage(e: ErrorObject, field: string): SchemaMessage | undefined {
  const p = e.params as Params;
  const schema = (e.parentSchema ?? {}) as SchemaNode;
  const found = describeValue(e.data);
  switch (e.keyword) {
    case 'required':
      return { code: 'missing-key', atKey: true, message: `${field} is missing the required key \`${String(p.missingProperty)}\``, fix: `add \`${String(p.missingProperty)}: ...\`` };
    case 'type':
      return { code: 'wrong-type', message: `${field} must be ${typeWords(p.type)}, but it is ${found}`, fix: TYPE_FIXES[String(p.type).split(',')[0]!] ?? 'change the value to the expected type' };
    case 'anyOf':
      return { code: 'wrong-type', message: `${field} must be ${(schema.anyOf ?? []).map(schemaWords).join(' or ')}, but it is ${found}`, fix: 'change the value to one of those forms' };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { code: 'invalid-value', message: `${field} is ${found}; allowed values are ${allowed}`, fix: `use one of ${allowed}` };
    }
    case 'const':
      return { code: 'invalid-value', message: `${field} is ${found}; it must be ${JSON.stringify(p.allowedValue)}`, fix: `write \`${e.instancePath.split('/').pop()}: ${JSON.stringify(p.allowedValue)}\`` };
    case 'pattern': {
      const examples = exampleText(schema);
      const what = schema.description ? `: ${lowerFirst(schema.description.replace(/\.$/, ''))}` : '';
      return { code: 'invalid-value', message: `${field} is ${found}, which is not valid${what}`, fix: examples ? `write it like ${examples}` : 'correct the value' };
    }
    case 'minLength':
      return Number(p.limit) <= 1
        ? { code: 'invalid-value', message: `${field} is empty`, fix: 'write a value, or remove the key' }
        : { code: 'invalid-value', message: `${field} is shorter than ${String(p.limit)} characters`, fix: `write at least ${String(p.limit)} characters` };
    case 'maxLength':
      return { code: 'invalid-value', message: `${field} is ${String((e.data as string).length)} characters long; at most ${String(p.limit)} are allowed`, fix: 'shorten it' };
    case 'minItems':
      return { code: 'invalid-value', message: `${field} has ${(e.data as unknown[]).length} items; it needs at least ${String(p.limit)}`, fix: `add ${Number(p.limit) === 1 ? 'an item' : 'items'}` };
    case 'maxItems':
      return { code: 'invalid-value', message: `${field} has ${(e.data as unknown[]).length} items; at most ${String(p.limit)} are allowed`, fix: 'remove items, or split the runbook into several' };
    case 'minimum':
    case 'maximum':
      return { code: 'invalid-value', message: `${field} is ${found}; it must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}`, fix: `use a number of ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p.limit)}` };
    case 'uniqueItems': {
      const [first, second] = [Number(p.i), Number(p.j)].sort((a, b) => a - b) as [number, number];
      return { code: 'invalid-value', path: `${e.instancePath}/${second}`, message: `${field} lists ${describeValue((e.data as unknown[])[second])} twice (items ${first + 1} and ${second + 1})`, fix: 'remove the duplicate' };
    }
    case 'minProperties':
      return { code: 'invalid-value', message: `${field} is empty; it needs at least ${String(p.limit)} entr${Number(p.limit) === 1 ? 'y' : 'ies'}`, fix: 'add an entry' };
    case 'maxProperties':
      return { code: 'invalid-value', message: `${field} has ${Object.keys(e.data as object).length} entries; at most ${String(p.limit)} are allowed`, fix: 'remove entries' };
    case 'propertyNames':
      return { code: 'invalid-value', atKey: true, path: `${e.instancePath}/${String(p.propertyName).replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `the key ${JSON.stringify(p.propertyName)} in ${field} is not valid (1 to 128 characters)`, fix: 'rename the key' };
    case 'additionalProperties':
      return undefined; // handled by the caller, which knows the allowed keys
    default:
      return { code: 'invalid-value', message: `${field} is not valid (JSON Schema rule "${e.keyword}")`, fix: 'compare it with the JSON Schema in schema/' };
  }
}
