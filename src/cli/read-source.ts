// Reads a runbook or config file for the CLI as raw bytes, after checking with stat that it is a regular file
// within the size limit, so a huge file or a device is refused before anything is read into memory.
// The loaders check the bytes themselves (NUL, UTF-8).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { problem, WHOLE_FILE, type Diagnostic } from '../runbook/diagnostics.js';
import type { SourceFile } from '../runbook/load-result.js';
import { fileTooLarge, MAX_SOURCE_BYTES } from '../runbook/parse-yaml.js';

export type ReadOutcome = { source: SourceFile } | { problem: Diagnostic };

/** How a path is shown: relative to the current directory when inside it, absolute otherwise. */
export function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(process.cwd(), absolute);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
  return shown.split(path.sep).join('/');
}

export function readSourceFile(file: string): ReadOutcome {
  const shown = displayPath(file);
  const unreadable = (message: string, fix?: string) => ({ problem: problem(shown, WHOLE_FILE, 'unreadable-file', message, fix) });
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) return unreadable('is a directory, not a YAML file', 'name a .yml file');
    if (!stat.isFile()) return unreadable('is not a regular file', 'name a .yml file');
    if (stat.size > MAX_SOURCE_BYTES) return { problem: fileTooLarge(shown, stat.size) };
    return { source: { path: shown, bytes: readFileSync(file) } };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return unreadable('no such file', 'check the path');
    return unreadable(`cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}
