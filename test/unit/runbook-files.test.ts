// Which changed files are runbooks: one pure rule shared by the PR phase (what is planned) and the merge phase
// (what runs). Every status GitHub reports for a pull request file, and the repo config, under narrow and wide globs.
import { describe, expect, it } from 'vitest';
import type { ChangedFile } from '../../src/ports/github.js';
import { changesConfig, runbookMatcher, selectRunbookFiles } from '../../src/usecases/runbook-files.js';

const CONFIG = '.github/opsgate.yml';
const NARROW = 'runbooks/**/*.{yml,yaml}';
const WIDE = '**/*.yml';

const cases: [name: string, glob: string, files: ChangedFile[], toRun: string[], deleted: string[]][] = [
  ['added, modified, copied and changed run', NARROW, [
    { path: 'runbooks/a.yml', status: 'added' },
    { path: 'runbooks/b.yml', status: 'modified' },
    { path: 'runbooks/c.yml', status: 'copied', previousPath: 'runbooks/b.yml' },
    { path: 'runbooks/d.yaml', status: 'changed' },
  ], ['runbooks/a.yml', 'runbooks/b.yml', 'runbooks/c.yml', 'runbooks/d.yaml'], []],
  ['unchanged does not run', NARROW, [{ path: 'runbooks/a.yml', status: 'unchanged' }], [], []],
  ['removed is deleted, not run', NARROW, [{ path: 'runbooks/a.yml', status: 'removed' }], [], ['runbooks/a.yml']],
  ['a rename within the glob runs the new path only', NARROW, [
    { path: 'runbooks/new.yml', status: 'renamed', previousPath: 'runbooks/old.yml' },
  ], ['runbooks/new.yml'], []],
  ['a rename away from the glob deletes the old path', NARROW, [
    { path: 'archive/old.yml', status: 'renamed', previousPath: 'runbooks/old.yml' },
  ], [], ['runbooks/old.yml']],
  ['a rename into the glob runs the new path', NARROW, [
    { path: 'runbooks/new.yml', status: 'renamed', previousPath: 'drafts/new.yml' },
  ], ['runbooks/new.yml'], []],
  ['a copy out of the glob leaves its source alone', NARROW, [
    { path: 'archive/a.yml', status: 'copied', previousPath: 'runbooks/a.yml' },
  ], [], []],
  ['files outside the glob are ignored, whatever their status', NARROW, [
    { path: 'README.md', status: 'modified' },
    { path: 'docs/x.yml', status: 'removed' },
    { path: 'runbooks/notes.txt', status: 'added' },
  ], [], []],
  ['dotfiles match', NARROW, [{ path: 'runbooks/.hidden/a.yml', status: 'added' }], ['runbooks/.hidden/a.yml'], []],
  ['a wide glob never takes the config for a runbook', WIDE, [
    { path: CONFIG, status: 'modified' },
    { path: 'ops/a.yml', status: 'added' },
  ], ['ops/a.yml'], []],
  ['nor a removed config for a deleted runbook', WIDE, [{ path: CONFIG, status: 'removed' }], [], []],
  ['a runbook renamed to the config path is deleted', WIDE, [
    { path: CONFIG, status: 'renamed', previousPath: 'ops/a.yml' },
  ], [], ['ops/a.yml']],
  ['the config renamed to a runbook path runs as a runbook', WIDE, [
    { path: 'ops/was-config.yml', status: 'renamed', previousPath: CONFIG },
  ], ['ops/was-config.yml'], []],
  ['a path renamed away and reused in the same PR runs, it is not deleted', NARROW, [
    { path: 'archive/a.yml', status: 'renamed', previousPath: 'runbooks/a.yml' },
    { path: 'runbooks/a.yml', status: 'renamed', previousPath: 'drafts/a.yml' },
  ], ['runbooks/a.yml'], []],
  ['path order (code units), duplicates once, whatever the API order', NARROW, [
    { path: 'runbooks/z.yml', status: 'added' },
    { path: 'runbooks/B.yml', status: 'added' },
    { path: 'runbooks/a.yml', status: 'modified' },
    { path: 'runbooks/a.yml', status: 'modified' },
    { path: 'runbooks/y.yml', status: 'removed' },
    { path: 'runbooks/x.yml', status: 'removed' },
  ], ['runbooks/B.yml', 'runbooks/a.yml', 'runbooks/z.yml'], ['runbooks/x.yml', 'runbooks/y.yml']],
];

describe('selectRunbookFiles', () => {
  it.each(cases)('%s', (_name, glob, files, toRun, deleted) => {
    expect(selectRunbookFiles(files, glob, CONFIG)).toEqual({ toRun, deleted });
  });
});

describe('runbookMatcher (the merge phase uses it for pushes without a PR)', () => {
  it.each([
    ['runbooks/a.yml', NARROW, true],
    ['runbooks/deep/er/a.yaml', NARROW, true],
    ['runbooks/a.json', NARROW, false],
    [CONFIG, WIDE, false],
    ['.github/workflows/ci.yml', WIDE, true],
  ] as const)('%s with %s: %s', (path, glob, expected) => {
    expect(runbookMatcher(glob, CONFIG)(path)).toBe(expected);
  });
});

describe('changesConfig', () => {
  it.each([
    [[{ path: CONFIG, status: 'modified' }], true],
    [[{ path: CONFIG, status: 'removed' }], true],
    [[{ path: 'old/opsgate.yml', status: 'renamed', previousPath: CONFIG }], true],
    [[{ path: CONFIG, status: 'renamed', previousPath: 'old/opsgate.yml' }], true],
    [[{ path: 'runbooks/a.yml', status: 'added' }], false],
  ] as [ChangedFile[], boolean][])('%j: %s', (files, expected) => {
    expect(changesConfig(files, CONFIG)).toBe(expected);
  });
});
