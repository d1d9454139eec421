import type { Diagnostic } from './diagnostics.js';
import type { SourceMap } from './model.js';

/** Loading never throws on bad input: it returns what it could build and every problem found. */
export interface LoadResult<T> {
  /** Present only when there are no error diagnostics. */
  value?: T;
  diagnostics: Diagnostic[];
  sourceMap: SourceMap;
}

/**
 * A file as read from disk or from the GitHub API. Give the raw `bytes` whenever you have them: the loaders
 * check size, NUL bytes and UTF-8 on them. The `text` form is kept for callers that only hold a decoded
 * string; it cannot show invalid UTF-8 (already replaced by U+FFFD when it was decoded).
 */
export type SourceFile = { path: string; bytes: Uint8Array } | { path: string; text: string };

/** The raw input of a source file, for the byte-level checks in parse-yaml.ts. */
export function sourceInput(source: SourceFile): Uint8Array | string {
  return 'bytes' in source ? source.bytes : source.text;
}
