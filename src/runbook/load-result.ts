import type { Diagnostic } from './diagnostics.js';
import type { SourceMap } from './model.js';

/** Loading never throws on bad input: it returns what it could build and every problem found. */
export interface LoadResult<T> {
  /** Present only when there are no error diagnostics. */
  value?: T;
  diagnostics: Diagnostic[];
  sourceMap: SourceMap;
}

/** A file as read from disk or from the GitHub API. */
export interface SourceFile {
  /** Repository-relative path, forward slashes. */
  path: string;
  text: string;
}
