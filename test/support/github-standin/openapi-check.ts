// Checks the stand-in's traffic against GitHub's published OpenAPI description (@octokit/openapi,
// api.github.com), both ways:
// - requests: the path must match a documented template for that method; path and query values must satisfy
//   their parameter schemas (`/pulls/abc`, `per_page=abc` fail); query names the operation does not document
//   are rejected (a typo is not silently ignored); the JSON body must satisfy the request schema, with no
//   properties the schema does not name (`contxt` fails);
// - replies: what the stand-in answers must satisfy the operation's response schema for that status, so tests
//   never run against shapes GitHub does not send.
// Schemas are compiled once per operation (ajv) and cached; $refs are resolved on demand.
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

interface Schema {
  [key: string]: unknown;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
type Ref = { $ref: string };
interface MediaType {
  schema?: Schema;
  examples?: Record<string, { value?: unknown } | Ref>;
}
interface Operation {
  operationId: string;
  parameters?: (Parameter | Ref)[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> } | Ref;
  responses: Record<string, { content?: Record<string, MediaType> } | Ref>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

let spec: Spec | undefined;
function loadSpec(): Spec {
  spec ??= require('@octokit/openapi/generated/api.github.com.json') as Spec;
  return spec;
}

function resolve<T>(value: T | Ref): T {
  let v: unknown = value;
  while (v && typeof v === 'object' && '$ref' in v) {
    const parts = (v as Ref).$ref.replace(/^#\//, '').split('/');
    v = parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], loadSpec());
  }
  return v as T;
}

/**
 * Deep copy with every $ref replaced. With `closed`, an object schema that names its properties and says nothing
 * about others gets `additionalProperties: false` (not inside allOf, where each branch names only a part).
 */
function deref(value: unknown, closed: boolean, depth = 0, inAllOf = false): unknown {
  if (depth > 60) return {};
  if (Array.isArray(value)) return value.map((v) => deref(v, closed, depth + 1, inAllOf));
  if (!value || typeof value !== 'object') return value;
  if ('$ref' in value) return deref(resolve(value), closed, depth + 1, inAllOf);
  const out: Schema = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'properties' ? derefProperties(v, closed, depth) : deref(v, closed, depth + 1, k === 'allOf')]),
  );
  if (closed && !inAllOf && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  // OpenAPI 3.0 allows `nullable` without `type` (ajv does not): say the same with anyOf.
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function derefProperties(properties: unknown, closed: boolean, depth: number): unknown {
  return Object.fromEntries(Object.entries(properties as Record<string, unknown>).map(([name, s]) => [name, deref(s, closed, depth + 1)]));
}

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
}
let routes: Route[] | undefined;
function allRoutes(): Route[] {
  routes ??= Object.keys(loadSpec().paths).map((template) => {
    const names: string[] = [];
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
      names.push(name);
      // The contents API takes a file path with slashes in {path}.
      return name === 'path' ? '(.+)' : '([^/]+)';
    });
    return { template, regex: new RegExp(`^${pattern}$`), names };
  });
  return routes;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

/** ajv's errors, with the names of unexpected properties (which errorsText leaves out). */
function errorsText(validate: ValidateFunction, dataVar = 'data'): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${dataVar}${e.instancePath} ${e.message}${'additionalProperty' in e.params ? ` "${String(e.params.additionalProperty)}"` : ''}`)
    .join('; ');
}
const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: () => unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema() as object);
    validators.set(key, validate);
  }
  return validate;
}

/** A path or query string as the JSON value its schema describes ("7" -> 7, "true" -> true), or the text. */
function coerce(text: string, schema: Schema | undefined): unknown {
  const type = schema?.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  if (type === 'array') return text.split(',');
  return text;
}

function checkParameter(operationId: string, p: Parameter, text: string): void {
  if (!p.schema) return;
  const validate = validatorFor(`param ${operationId} ${p.in} ${p.name}`, () => deref(p.schema, false));
  if (!validate(coerce(text, p.schema))) throw new Error(`OpenAPI: ${operationId}: ${p.in} parameter ${p.name}=${JSON.stringify(text)} ${errorsText(validate, p.name)}`);
}

export interface MatchedOperation {
  template: string;
  method: string;
  operationId: string;
  params: Record<string, string>;
}

function matchOperation(method: string, pathname: string): { template: string; op: Operation; params: Record<string, string> } {
  // Prefer literal templates over parameterised ones (e.g. /user vs /users/{username}).
  const candidates = allRoutes()
    .map((r) => ({ r, match: r.regex.exec(pathname) }))
    .filter((c) => c.match)
    .sort((a, b) => a.r.names.length - b.r.names.length);
  if (!candidates.length) throw new Error(`OpenAPI: no documented path matches ${method} ${pathname}`);
  const hit = candidates.find((c) => loadSpec().paths[c.r.template]![method]);
  if (!hit) throw new Error(`OpenAPI: ${method.toUpperCase()} is not documented for ${candidates[0]!.r.template}`);
  const params = Object.fromEntries(hit.r.names.map((n, i) => [n, decodeURIComponent(hit.match![i + 1]!)]));
  return { template: hit.r.template, op: loadSpec().paths[hit.r.template]![method]!, params };
}

function checkParameters(op: Operation, params: Record<string, string>, query: URLSearchParams): void {
  const declared = (op.parameters ?? []).map((x) => resolve<Parameter>(x));
  for (const p of declared) {
    if (p.in === 'path') {
      if (!params[p.name]) throw new Error(`OpenAPI: ${op.operationId} requires path parameter ${p.name}`);
      checkParameter(op.operationId, p, params[p.name]!);
    } else if (p.in === 'query') {
      const value = query.get(p.name);
      if (value === null) {
        if (p.required) throw new Error(`OpenAPI: ${op.operationId} requires query parameter ${p.name}`);
      } else checkParameter(op.operationId, p, value);
    }
  }
  const known = new Set(declared.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of new Set(query.keys())) {
    if (!known.has(name)) throw new Error(`OpenAPI: ${op.operationId} documents no query parameter "${name}" (known: ${[...known].join(', ') || 'none'})`);
  }
}

function checkBody(method: string, template: string, op: Operation, body: unknown): void {
  if (!op.requestBody) {
    if (body !== undefined && method !== 'get' && method !== 'delete') throw new Error(`OpenAPI: ${op.operationId} takes no body`);
    return;
  }
  const rb = resolve(op.requestBody);
  if (body === undefined) {
    if (rb.required) throw new Error(`OpenAPI: ${op.operationId} requires a JSON body`);
    return;
  }
  const validate = validatorFor(`body ${method} ${template}`, () => deref(rb.content['application/json']!.schema, true));
  if (!validate(body)) throw new Error(`OpenAPI: invalid body for ${op.operationId}: ${errorsText(validate)}`);
}

/** The documented operation for this request, or throws with what is wrong. */
export function checkAgainstOpenApi(method: string, pathname: string, query: URLSearchParams, body: unknown): MatchedOperation {
  const m = method.toLowerCase();
  const { template, op, params } = matchOperation(m, pathname);
  checkParameters(op, params, query);
  checkBody(m, template, op, body);
  return { template, method: m, operationId: op.operationId, params };
}

function jsonResponse(op: Operation, status: number): MediaType | undefined {
  const response = op.responses[String(status)];
  return response ? resolve(response).content?.['application/json'] : undefined;
}

/**
 * Throws when a JSON reply is not what GitHub documents for this operation and status. A success status the
 * operation does not document is an error too; undocumented error statuses (401, 403 on reads) are GitHub's
 * generic ones and are not checked.
 */
export function checkResponse(matched: MatchedOperation, status: number, data: unknown): void {
  const op = loadSpec().paths[matched.template]![matched.method]!;
  if (!op.responses[String(status)]) {
    if (status < 400) throw new Error(`OpenAPI: ${op.operationId} documents no ${status} response`);
    return;
  }
  const media = jsonResponse(op, status);
  if (!media?.schema) return;
  const validate = validatorFor(`response ${matched.method} ${matched.template} ${status}`, () => deref(media.schema, false));
  if (!validate(data)) throw new Error(`OpenAPI: the stand-in's ${status} reply to ${op.operationId} is not what GitHub sends: ${errorsText(validate)}`);
}

/**
 * A deep copy of GitHub's documented example reply (the named example, else the first), to build stand-in
 * replies from: they then carry every field GitHub sends, and the stand-in only sets the ones tests care about.
 */
export function documentedExample(method: string, template: string, status: number, name?: string): unknown {
  const op = loadSpec().paths[template]?.[method.toLowerCase()];
  const examples = op ? jsonResponse(op, status)?.examples : undefined;
  if (!examples) throw new Error(`OpenAPI: no documented example for ${method} ${template} ${status}`);
  const example = resolve(name ? examples[name]! : Object.values(examples)[0]!);
  return structuredClone(example.value);
}
