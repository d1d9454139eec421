/**
 * Validates request bodies against an official AWS Smithy 2.0 JSON AST model, so simulators reject what real AWS
 * would reject, and answers in the awsJson1_1 protocol.
 *
 * API:
 * - `loadServiceModel(path)` → `ServiceModel` (shapes + the service's operations by name, e.g. "SendCommand").
 * - `validateInput(model, operationName, body)` → list of violations (empty = valid). Checks required members,
 *   JSON types (string/integer/long/float/double/boolean/list/map/structure/union/timestamp(epoch seconds)/
 *   blob(base64)/document/enum/intEnum), @length, @range, @pattern (ECMA-262, unanchored unless written with ^$;
 *   Java-only syntax is translated, see compileModelPattern),
 *   enum values and unknown members; recursive, each violation names its JSON path.
 * - `readAwsJsonRequest(req, servicePrefix)` → `{ operation, body }` or an `AwsJsonError` (bad target/content type/JSON).
 * - `sendAwsJson(res, status, body)` and `sendAwsJsonError(res, type, message, status = 400)` write awsJson1_1 answers
 *   (`{"__type": "...", "message": "..."}` for errors).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Traits = Record<string, unknown>;
interface Member {
  target: string;
  traits?: Traits;
}
export interface Shape {
  type: string;
  members?: Record<string, Member>;
  member?: Member;
  key?: Member;
  value?: Member;
  input?: { target: string };
  operations?: Array<{ target: string }>;
  resources?: Array<{ target: string }>;
  traits?: Traits;
}
export interface ServiceModel {
  shapes: Record<string, Shape>;
  /** Operation name → input shape id (undefined when the operation has no input). */
  operations: Map<string, string | undefined>;
}

export function loadServiceModel(path: string): ServiceModel {
  const ast = JSON.parse(readFileSync(path, 'utf8')) as { shapes: Record<string, Shape> };
  const operations = new Map<string, string | undefined>();
  const visitResource = (id: string): void => {
    const shape = ast.shapes[id];
    if (!shape) return;
    if (shape.type === 'operation') operations.set(id.split('#')[1] ?? id, shape.input?.target);
    for (const ref of [...(shape.operations ?? []), ...(shape.resources ?? [])]) visitResource(ref.target);
    for (const key of ['create', 'put', 'read', 'update', 'delete', 'list'] as const) {
      const ref = (shape as unknown as Record<string, { target: string } | undefined>)[key];
      if (ref) visitResource(ref.target);
    }
  };
  for (const [id, shape] of Object.entries(ast.shapes)) if (shape.type === 'service') visitResource(id);
  return { shapes: ast.shapes, operations };
}

const PRELUDE: Record<string, string> = {
  'smithy.api#String': 'string',
  'smithy.api#Integer': 'integer',
  'smithy.api#PrimitiveInteger': 'integer',
  'smithy.api#Long': 'long',
  'smithy.api#PrimitiveLong': 'long',
  'smithy.api#Short': 'short',
  'smithy.api#Byte': 'byte',
  'smithy.api#Float': 'float',
  'smithy.api#Double': 'double',
  'smithy.api#Boolean': 'boolean',
  'smithy.api#PrimitiveBoolean': 'boolean',
  'smithy.api#Timestamp': 'timestamp',
  'smithy.api#Blob': 'blob',
  'smithy.api#Document': 'document',
  'smithy.api#Unit': 'structure',
};

function resolveShape(model: ServiceModel, id: string): Shape {
  const shape = model.shapes[id];
  if (shape) return shape;
  const prelude = PRELUDE[id];
  if (prelude) return { type: prelude, members: prelude === 'structure' ? {} : undefined };
  throw new Error(`smithy-validator: unknown shape ${id}`);
}

export function validateInput(model: ServiceModel, operationName: string, body: unknown): string[] {
  if (!model.operations.has(operationName)) return [`unknown operation ${operationName}`];
  const input = model.operations.get(operationName);
  const errors: string[] = [];
  if (input === undefined) {
    if (body !== undefined && body !== null && !(isObject(body) && Object.keys(body).length === 0)) {
      errors.push('$: operation takes no input');
    }
    return errors;
  }
  validateValue(model, input, {}, body ?? {}, '$', errors);
  return errors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Traits on a member override/merge with the target shape's traits (Smithy member trait precedence). */
function validateValue(
  model: ServiceModel,
  shapeId: string,
  memberTraits: Traits,
  value: unknown,
  path: string,
  errors: string[],
): void {
  const shape = resolveShape(model, shapeId);
  const traits: Traits = { ...(shape.traits ?? {}), ...memberTraits };
  switch (shape.type) {
    case 'string':
      if (typeof value !== 'string') return void errors.push(`${path}: expected string`);
      checkLength(traits, [...value].length, path, errors);
      checkPattern(traits, value, path, errors);
      checkStringEnumTrait(traits, value, path, errors);
      break;
    case 'enum': {
      if (typeof value !== 'string') return void errors.push(`${path}: expected string enum`);
      const allowed = Object.entries(shape.members ?? {}).map(
        ([name, m]) => (m.traits?.['smithy.api#enumValue'] as string | undefined) ?? name,
      );
      if (!allowed.includes(value)) errors.push(`${path}: "${value}" is not one of ${allowed.join(', ')}`);
      break;
    }
    case 'intEnum': {
      if (!Number.isInteger(value)) return void errors.push(`${path}: expected integer enum`);
      const allowed = Object.values(shape.members ?? {}).map((m) => m.traits?.['smithy.api#enumValue']);
      if (!allowed.includes(value)) errors.push(`${path}: ${String(value)} is not an allowed value`);
      break;
    }
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return void errors.push(`${path}: expected integer`);
      checkRange(traits, value, path, errors);
      break;
    case 'float':
    case 'double':
    case 'bigDecimal':
    case 'bigInteger':
      if (typeof value !== 'number') return void errors.push(`${path}: expected number`);
      checkRange(traits, value, path, errors);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${path}: expected boolean`);
      break;
    case 'timestamp':
      // awsJson1_1 sends timestamps as epoch seconds (number).
      if (typeof value !== 'number') errors.push(`${path}: expected epoch-seconds timestamp`);
      break;
    case 'blob':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
        return void errors.push(`${path}: expected base64 blob`);
      }
      checkLength(traits, Buffer.from(value, 'base64').length, path, errors);
      break;
    case 'document':
      break;
    case 'list':
    case 'set':
      if (!Array.isArray(value)) return void errors.push(`${path}: expected list`);
      checkLength(traits, value.length, path, errors);
      value.forEach((item, i) => {
        if (item === null && !shape.member?.traits?.['smithy.api#sparse'] && !shape.traits?.['smithy.api#sparse']) {
          errors.push(`${path}[${i}]: null in a dense list`);
        } else if (item !== null) {
          validateValue(model, shape.member!.target, shape.member!.traits ?? {}, item, `${path}[${i}]`, errors);
        }
      });
      break;
    case 'map':
      if (!isObject(value)) return void errors.push(`${path}: expected map`);
      checkLength(traits, Object.keys(value).length, path, errors);
      for (const [k, v] of Object.entries(value)) {
        validateValue(model, shape.key!.target, shape.key!.traits ?? {}, k, `${path}{key ${k}}`, errors);
        if (v !== null) validateValue(model, shape.value!.target, shape.value!.traits ?? {}, v, `${path}.${k}`, errors);
      }
      break;
    case 'structure':
    case 'union':
      validateAggregate(model, shape, value, path, errors);
      break;
    default:
      errors.push(`${path}: unsupported shape type ${shape.type}`);
  }
}

function validateAggregate(model: ServiceModel, shape: Shape, value: unknown, path: string, errors: string[]): void {
  if (!isObject(value)) return void errors.push(`${path}: expected ${shape.type}`);
  const members = shape.members ?? {};
  for (const key of Object.keys(value)) {
    if (!(key in members)) errors.push(`${path}.${key}: unknown member`);
  }
  if (shape.type === 'union') {
    const set = Object.keys(value).filter((k) => value[k] !== null && value[k] !== undefined);
    if (set.length !== 1) errors.push(`${path}: a union needs exactly one member set (got ${set.length})`);
  }
  for (const [name, member] of Object.entries(members)) {
    const v = value[name];
    if (v === undefined || v === null) {
      if (member.traits?.['smithy.api#required'] !== undefined) errors.push(`${path}.${name}: required member missing`);
      continue;
    }
    validateValue(model, member.target, member.traits ?? {}, v, `${path}.${name}`, errors);
  }
}

function checkLength(traits: Traits, length: number, path: string, errors: string[]): void {
  const rule = traits['smithy.api#length'] as { min?: number; max?: number } | undefined;
  if (!rule) return;
  if (rule.min !== undefined && length < rule.min) errors.push(`${path}: length ${length} < min ${rule.min}`);
  if (rule.max !== undefined && length > rule.max) errors.push(`${path}: length ${length} > max ${rule.max}`);
}

function checkRange(traits: Traits, value: number, path: string, errors: string[]): void {
  const rule = traits['smithy.api#range'] as { min?: number; max?: number } | undefined;
  if (!rule) return;
  if (rule.min !== undefined && value < rule.min) errors.push(`${path}: ${value} < min ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) errors.push(`${path}: ${value} > max ${rule.max}`);
}

const patternCache = new Map<string, RegExp | string>();
function checkPattern(traits: Traits, value: string, path: string, errors: string[]): void {
  const source = traits['smithy.api#pattern'] as string | undefined;
  if (source === undefined) return;
  let re = patternCache.get(source);
  if (re === undefined) {
    re = compileModelPattern(source);
    patternCache.set(source, re);
  }
  // A pattern JavaScript cannot run is reported as a violation (fail closed), never as a server error.
  if (typeof re === 'string') return void errors.push(`${path}: model pattern /${source}/ cannot be checked here (${re})`);
  if (!re.test(value)) errors.push(`${path}: "${value.slice(0, 80)}" does not match /${source}/`);
}

/**
 * Smithy patterns are written for Java-style engines. Some do not compile as ECMA-262 with the `u` flag:
 * inline flags such as `(?i)` (not JavaScript syntax at all) and identity escapes such as `\-` or `\:` (legal
 * only without `u`). Inline `(?i)` becomes the `i` flag for the whole pattern (the models only use it to make a
 * whole alternative case-insensitive); then `u` is tried, then no flag. Returns the reason when nothing works.
 */
export function compileModelPattern(source: string): RegExp | string {
  let body = source;
  let flags = '';
  if (/\(\?i\)/.test(body)) {
    body = body.replace(/\(\?i\)/g, '');
    flags = 'i';
  }
  try {
    return new RegExp(body, `${flags}u`);
  } catch {
    try {
      return new RegExp(body, flags);
    } catch (error) {
      return (error as Error).message;
    }
  }
}

/** Smithy 1.0-style @enum trait on a string shape. */
function checkStringEnumTrait(traits: Traits, value: string, path: string, errors: string[]): void {
  const rule = traits['smithy.api#enum'] as Array<{ value: string }> | undefined;
  if (rule && !rule.some((e) => e.value === value)) errors.push(`${path}: "${value}" is not an allowed value`);
}

// ---- awsJson1_1 protocol helpers -------------------------------------------------------------------------------

export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function readAwsJsonRequest(
  req: IncomingMessage,
  servicePrefix: string,
): Promise<{ operation: string; body: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = String(req.headers['x-amz-target'] ?? '');
  const [prefix, operation] = target.split('.');
  if (req.method !== 'POST') throw new AwsJsonError('UnknownOperationException', `method ${req.method}`, 404);
  if (prefix !== servicePrefix || !operation) {
    throw new AwsJsonError('UnknownOperationException', `bad X-Amz-Target "${target}"`);
  }
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/x-amz-json-1.1')) {
    throw new AwsJsonError('SerializationException', `bad Content-Type "${contentType}"`);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { operation, body: text === '' ? {} : (JSON.parse(text) as unknown) };
  } catch {
    throw new AwsJsonError('SerializationException', 'body is not JSON');
  }
}

export function sendAwsJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': `sim-${Math.random().toString(16).slice(2)}`,
  });
  res.end(text);
}

export function sendAwsJsonError(res: ServerResponse, type: string, message: string, status = 400): void {
  sendAwsJson(res, status, { __type: type, message });
}
