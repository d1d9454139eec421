// Checks a request against GitHub's published OpenAPI description (@octokit/openapi, api.github.com):
// the path must match a documented template for that method, required path/query parameters must be present,
// and the JSON body must satisfy the operation's request schema (ajv). $refs are resolved on demand.
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
}
interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> } | { $ref: string };
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

function resolve<T>(value: T | { $ref: string }): T {
  const s = loadSpec();
  let v: unknown = value;
  while (v && typeof v === 'object' && '$ref' in v) {
    const parts = (v as { $ref: string }).$ref.replace(/^#\//, '').split('/');
    v = parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], s);
  }
  return v as T;
}

/** Deep copy with every $ref replaced (schemas in the description have no cycles on these operations). */
function deref(value: unknown, depth = 0): unknown {
  if (depth > 40) return {};
  if (Array.isArray(value)) return value.map((v) => deref(v, depth + 1));
  if (value && typeof value === 'object') {
    if ('$ref' in value) return deref(resolve(value), depth + 1);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deref(v, depth + 1)]));
  }
  return value;
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
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
      names.push(name);
      // The contents API takes a file path with slashes in {path}.
      return name === 'path' ? '(.+)' : '([^/]+)';
    });
    return { template, regex: new RegExp(`^${pattern.replace(/\{([^}]+)\}/g, '([^/]+)')}$`), names };
  });
  return routes;
}

const validators = new Map<string, ValidateFunction>();
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

export interface MatchedOperation {
  template: string;
  operationId: string;
  params: Record<string, string>;
}

/** The documented operation for this request, or throws with what is wrong. */
export function checkAgainstOpenApi(method: string, pathname: string, query: URLSearchParams, body: unknown): MatchedOperation {
  const m = method.toLowerCase();
  // Prefer literal templates over parameterised ones (e.g. /user vs /users/{username}).
  const candidates = allRoutes()
    .map((r) => ({ r, match: r.regex.exec(pathname) }))
    .filter((c) => c.match)
    .sort((a, b) => a.r.names.length - b.r.names.length);
  if (!candidates.length) throw new Error(`OpenAPI: no documented path matches ${method} ${pathname}`);
  const hit = candidates.find((c) => loadSpec().paths[c.r.template]![m]);
  if (!hit) throw new Error(`OpenAPI: ${method} is not documented for ${candidates[0]!.r.template}`);
  const op = loadSpec().paths[hit.r.template]![m]!;
  const params = Object.fromEntries(hit.r.names.map((n, i) => [n, decodeURIComponent(hit.match![i + 1]!)]));
  for (const p of (op.parameters ?? []).map((x) => resolve<Parameter>(x))) {
    if (p.in === 'query' && p.required && !query.has(p.name)) throw new Error(`OpenAPI: ${op.operationId} requires query parameter ${p.name}`);
    if (p.in === 'path' && !params[p.name]) throw new Error(`OpenAPI: ${op.operationId} requires path parameter ${p.name}`);
  }
  if (op.requestBody) {
    const rb = resolve(op.requestBody) as { required?: boolean; content: Record<string, { schema: unknown }> };
    if (body === undefined) {
      if (rb.required) throw new Error(`OpenAPI: ${op.operationId} requires a JSON body`);
    } else {
      const key = `${m} ${hit.r.template}`;
      let validate = validators.get(key);
      if (!validate) {
        validate = ajv.compile(deref(rb.content['application/json']!.schema) as object);
        validators.set(key, validate);
      }
      if (!validate(body)) throw new Error(`OpenAPI: invalid body for ${op.operationId}: ${ajv.errorsText(validate.errors)}`);
    }
  } else if (body !== undefined && m !== 'get' && m !== 'delete') {
    throw new Error(`OpenAPI: ${op.operationId} takes no body`);
  }
  return { template: hit.r.template, operationId: op.operationId, params };
}
