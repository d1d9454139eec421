// Turns file bytes into plain data plus a map from every JSON path ("/steps/1/sql") to its place in the file.
// Hazards are refused before anything is built: binary or non-UTF-8 bytes, files over MAX_SOURCE_BYTES,
// several documents, duplicate keys, and every alias (`*name`) — aliases are refused outright rather than
// capped, because no runbook needs them and that closes alias bombs completely.
import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, visit, type Document, type Node, type Scalar } from 'yaml';
import { MAX_NESTING_DEPTH, tooDeepOffset } from './yaml-depth.js';
import { problem, WHOLE_FILE, type Diagnostic } from './diagnostics.js';
import type { SourceSpan } from './model.js';

/** Runbooks and configs are small; anything bigger is a mistake or an attack. */
export const MAX_SOURCE_BYTES = 256 * 1024;

export interface ParsedYaml {
  data?: unknown;
  diagnostics: Diagnostic[];
  /** JSON path -> span of the value. */
  valueSpans: Map<string, SourceSpan>;
  /** JSON path -> span of the mapping key that holds the value. */
  keySpans: Map<string, SourceSpan>;
  /** JSON path -> the yaml scalar node (for exact offsets inside block scalars). */
  scalars: Map<string, { node: Node; text: string }>;
  text: string;
  lineCounter: LineCounter;
}

/** Refuses a file over the limit; also used by callers that check the size before reading. */
export function fileTooLarge(file: string, size: number): Diagnostic {
  return problem(file, WHOLE_FILE, 'file-too-large', `file is ${size} bytes; the limit is ${MAX_SOURCE_BYTES} bytes (256 KiB)`, 'split the operation into smaller runbooks');
}

/** Decides at the byte level: NUL bytes or invalid UTF-8 mean this is not a text file we will read. */
export function decodeSource(file: string, input: Uint8Array | string): { text?: string; diagnostics: Diagnostic[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (bytes.length > MAX_SOURCE_BYTES) return { diagnostics: [fileTooLarge(file, bytes.length)] };
  if (typeof input === 'string' ? input.includes('\u0000') : bytes.includes(0)) {
    return { diagnostics: [problem(file, WHOLE_FILE, 'binary-file', 'file contains NUL bytes; it is not a text file', 'save the runbook as UTF-8 text')] };
  }
  if (typeof input === 'string') return { text: input.replace(/^\uFEFF/, ''), diagnostics: [] };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.replace(/^\uFEFF/, ''), diagnostics: [] };
  } catch {
    return { diagnostics: [problem(file, WHOLE_FILE, 'invalid-utf8', 'file is not valid UTF-8', 'save the file as UTF-8')] };
  }
}

export function spanOf(lc: LineCounter, start: number, end: number): SourceSpan {
  const s = lc.linePos(start);
  const e = lc.linePos(Math.max(start, end));
  return { start: { line: s.line, column: s.col }, end: { line: e.line, column: e.col } };
}

function emptyResult(text: string, lineCounter: LineCounter, diagnostics: Diagnostic[]): ParsedYaml {
  return { diagnostics, valueSpans: new Map(), keySpans: new Map(), scalars: new Map(), text, lineCounter };
}

/** Parses one YAML mapping document; never throws. */
export function parseYamlSource(file: string, input: Uint8Array | string, kind = 'runbook'): ParsedYaml {
  const decoded = decodeSource(file, input);
  const lineCounter = new LineCounter();
  if (decoded.text === undefined) return emptyResult('', lineCounter, decoded.diagnostics);
  const text = decoded.text;
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const deep = tooDeepOffset(tokens);
  if (deep !== undefined) {
    return emptyResult(text, lineCounter, [problem(file, spanOf(lineCounter, deep, deep), 'yaml-too-deep', `the YAML is nested more than ${MAX_NESTING_DEPTH} levels deep here`, 'a runbook needs only a few levels: look for unbalanced brackets or runaway indentation')]);
  }
  const list = Array.from(new Composer({ uniqueKeys: true, prettyErrors: false, strict: true }).compose(tokens));
  const diagnostics: Diagnostic[] = [];
  if (list.length === 0 || list[0]!.contents === null || (isScalar(list[0]!.contents) && list[0]!.contents.value === null && list.length === 1)) {
    return emptyResult(text, lineCounter, [problem(file, WHOLE_FILE, 'empty-file', `the ${kind} file is empty`, `start with \`version: 1\``)]);
  }
  if (list.length > 1) {
    const second = list[1]!;
    const at = second.range?.[0] ?? 0;
    return emptyResult(text, lineCounter, [problem(file, spanOf(lineCounter, at, at), 'multiple-documents', `the ${kind} file holds ${list.length} YAML documents; only one is allowed`, 'remove the `---` separator and put each runbook in its own file')]);
  }
  const doc = list[0]!;
  for (const e of doc.errors) {
    const span = spanOf(lineCounter, e.pos[0], e.pos[1]);
    if (e.code === 'DUPLICATE_KEY') {
      diagnostics.push(duplicateKeyProblem(file, doc, e.pos[0], span, lineCounter));
      continue;
    }
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    diagnostics.push(problem(file, span, 'yaml-syntax', `YAML syntax error: ${msg}`, 'fix the YAML syntax at this position'));
  }
  if (diagnostics.length) return emptyResult(text, lineCounter, diagnostics);
  visit(doc, {
    Alias(_k, node) {
      const [s, e] = node.range ?? [0, 0];
      diagnostics.push(problem(file, spanOf(lineCounter, s, e), 'yaml-alias', `YAML aliases (*${node.source}) are not allowed`, 'write the value out in full'));
    },
  });
  if (diagnostics.length) return emptyResult(text, lineCounter, diagnostics);
  if (!isMap(doc.contents)) {
    const [s, e] = doc.contents?.range ?? [0, 0];
    return emptyResult(text, lineCounter, [problem(file, spanOf(lineCounter, s, e), 'not-a-mapping', `the ${kind} must be a YAML mapping (key: value lines) at the top level`, 'start with `version: 1` and `title: ...`')]);
  }
  const result = emptyResult(text, lineCounter, []);
  collectSpans(doc.contents, '', result);
  result.data = doc.toJS({ maxAliasCount: 0 });
  return result;
}

/** Names the repeated key and where it first appeared. */
function duplicateKeyProblem(file: string, doc: Document.Parsed, offset: number, span: SourceSpan, lc: LineCounter): Diagnostic {
  let name: string | undefined;
  let first: number | undefined;
  visit(doc, {
    Map(_k, map) {
      const at = map.items.findIndex((pair) => isScalar(pair.key) && pair.key.range?.[0] === offset);
      if (at < 0) return undefined;
      const key = map.items[at]!.key as Scalar;
      name = String(key.value);
      const earlier = map.items.slice(0, at).find((pair) => isScalar(pair.key) && pair.key.value === key.value);
      first = (earlier?.key as Node | undefined)?.range?.[0];
      return visit.BREAK;
    },
  });
  if (name === undefined) return problem(file, span, 'duplicate-key', 'a key appears twice in the same mapping', 'remove or rename one of the two keys');
  const where = first !== undefined ? ` (first on line ${lc.linePos(first).line})` : '';
  return problem(file, span, 'duplicate-key', `the key \`${name}\` appears twice in the same mapping${where}`, `keep one \`${name}\` and remove or rename the other`);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function collectSpans(node: unknown, path: string, out: ParsedYaml): void {
  const lc = out.lineCounter;
  if (isAlias(node)) return;
  const n = node as Node;
  if (n?.range) out.valueSpans.set(path, spanOf(lc, n.range[0], n.range[1]));
  if (isScalar(node)) {
    out.scalars.set(path, { node: n, text: out.text });
  } else if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const child = `${path}/${escapePointer(key)}`;
      if (keyNode?.range) out.keySpans.set(child, spanOf(lc, keyNode.range[0], keyNode.range[1]));
      if (pair.value) collectSpans(pair.value, child, out);
      else if (keyNode?.range) out.valueSpans.set(child, spanOf(lc, keyNode.range[1], keyNode.range[1]));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => collectSpans(item, `${path}/${i}`, out));
  }
}

/** The closest span for a path: the value, else the nearest ancestor. */
export function locatePath(parsed: ParsedYaml, path: string, preferKey = false): SourceSpan {
  let p = path;
  for (;;) {
    const s = (preferKey ? parsed.keySpans.get(p) : undefined) ?? parsed.valueSpans.get(p);
    if (s) return s;
    if (p === '') return WHOLE_FILE;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
