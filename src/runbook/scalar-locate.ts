// Maps an offset inside a scalar's value back to the file: exact for literal block scalars (`|`) and plain or
// quoted single-line values without escapes; the scalar's start otherwise (folded, multi-line flow, escapes).
import { Scalar, type LineCounter, type Node } from 'yaml';
import type { SourceSpan } from './model.js';
import { spanOf } from './parse-yaml.js';

function point(lc: LineCounter, offset: number): SourceSpan {
  return spanOf(lc, offset, offset);
}

/** Returns locate(byteOffset) for a scalar node whose value is `value`. */
export function scalarLocator(node: Node, value: string, text: string, lc: LineCounter): (byteOffset: number) => SourceSpan {
  const start = node.range?.[0] ?? 0;
  const type = (node as Scalar).type;
  const valueBytes = Buffer.from(value, 'utf8');
  const charIndex = (byteOffset: number) => valueBytes.subarray(0, Math.max(0, Math.min(byteOffset, valueBytes.length))).toString('utf8').length;
  if (type === Scalar.BLOCK_LITERAL) {
    const bodyStart = text.indexOf('\n', start) + 1;
    const bodyEnd = node.range?.[1] ?? text.length;
    const sourceLines = text.slice(bodyStart, bodyEnd).split('\n');
    const indent = Math.min(...sourceLines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
    return (byteOffset) => {
      const ci = charIndex(byteOffset);
      const before = value.slice(0, ci).split('\n');
      const lineIdx = before.length - 1;
      let offset = bodyStart;
      for (let i = 0; i < lineIdx && i < sourceLines.length; i++) offset += sourceLines[i]!.length + 1;
      return point(lc, offset + (Number.isFinite(indent) ? indent : 0) + before[lineIdx]!.length);
    };
  }
  const raw = text.slice(start, node.range?.[1] ?? start);
  const quote = type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE ? 1 : 0;
  const exact = !raw.includes('\n') && (type === Scalar.PLAIN || raw.slice(quote, raw.length - quote) === value);
  return (byteOffset) => point(lc, exact ? start + quote + charIndex(byteOffset) : start);
}
