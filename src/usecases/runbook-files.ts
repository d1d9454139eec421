// Which of a pull request's changed files are runbooks: one rule for the PR phase (what reviewers see planned)
// and the merge phase (what runs), so the two can never disagree about a file. Pure.
import picomatch from 'picomatch';
import type { ChangedFile } from '../ports/github.js';

export interface RunbookFiles {
  /** Runbooks that exist after the PR (added, modified, renamed to, copied, changed), in path order. */
  toRun: string[];
  /** Runbooks the PR removes or renames away from the runbooks glob, in path order. */
  deleted: string[];
}

/** A path is a runbook when it matches the glob (dotfiles included) and is not the repo config. */
export function runbookMatcher(glob: string, configPath: string): (path: string) => boolean {
  const matches = picomatch(glob, { dot: true });
  return (path) => path !== configPath && matches(path);
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (paths: string[]) => [...new Set(paths)].sort(byPath);

/**
 * The runbooks among `files`. `unchanged` entries have nothing new to run. A rename whose old path was a runbook
 * and whose new one is not (it left the glob, or became the config) deletes that runbook; a rename within the
 * glob is the new path, to run. A copy leaves its source in place.
 */
export function selectRunbookFiles(files: readonly ChangedFile[], glob: string, configPath: string): RunbookFiles {
  const isRunbook = runbookMatcher(glob, configPath);
  const toRun: string[] = [];
  const deleted: string[] = [];
  for (const file of files) {
    if (file.status === 'removed') {
      if (isRunbook(file.path)) deleted.push(file.path);
      continue;
    }
    if (file.status !== 'unchanged' && isRunbook(file.path)) toRun.push(file.path);
    const renamedAway = file.status === 'renamed' && file.previousPath !== undefined && isRunbook(file.previousPath) && !isRunbook(file.path);
    if (renamedAway) deleted.push(file.previousPath!);
  }
  // A path renamed away and then reused by another file in the same PR still exists: it runs, it is not deleted.
  const running = new Set(toRun);
  return { toRun: sortedUnique(toRun), deleted: sortedUnique(deleted).filter((p) => !running.has(p)) };
}

/** Whether the PR touches the repo config itself (changed, added, removed, or renamed to or from its path). */
export function changesConfig(files: readonly ChangedFile[], configPath: string): boolean {
  return files.some((f) => f.path === configPath || f.previousPath === configPath);
}
