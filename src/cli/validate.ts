// `opsgate validate [--config path] [paths...]`: checks the repo config and every runbook (files, or *.yml/*.yaml
// under directories; default runbooks/). Prints one line per problem and a summary. Exit 0 = no errors, 2 = errors.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { checkRunbook } from '../runbook/check.js';
import { formatDiagnostic, problem, sortDiagnostics, WHOLE_FILE, type Diagnostic } from '../runbook/diagnostics.js';
import type { RepoConfig } from '../runbook/model.js';
import { readSourceFile } from './read-source.js';

export const VALIDATE_USAGE = 'opsgate validate [--config .github/opsgate.yml] [paths...]';

function yamlFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? yamlFilesUnder(join(path, e.name)) : /\.ya?ml$/.test(e.name) ? [join(path, e.name)] : []));
}

function loadConfig(configPath: string): { config?: RepoConfig; diagnostics: Diagnostic[] } {
  const read = readSourceFile(configPath);
  if ('problem' in read) return { diagnostics: [{ ...read.problem, message: `cannot use the repo config: ${read.problem.message}`, fix: 'pass --config <file>' }] };
  const loaded = loadRepoConfig(read.source);
  return { ...(loaded.value ? { config: loaded.value } : {}), diagnostics: loaded.diagnostics };
}

function runbookFiles(paths: string[], problems: Diagnostic[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    try {
      files.push(...yamlFilesUnder(p));
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      problems.push(problem(p, WHOLE_FILE, 'unreadable-file', missing ? 'no such file or directory' : `cannot be read: ${(e as Error).message}`));
    }
  }
  return [...new Set(files)];
}

export async function validateCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`opsgate validate: ${(e as Error).message}\nUsage: ${VALIDATE_USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: ${VALIDATE_USAGE}\nChecks the repo config and every runbook; exit 0 when there are no errors, 2 otherwise.\n`);
    return 0;
  }
  const configPath = parsed.values.config ?? '.github/opsgate.yml';
  const { config, diagnostics } = loadConfig(configPath);
  const all = [...diagnostics];
  const files = runbookFiles(parsed.positionals.length ? parsed.positionals : ['runbooks'], all);
  if (config) {
    for (const f of files) {
      const read = readSourceFile(f);
      all.push(...('problem' in read ? [read.problem] : (await checkRunbook(read.source, config)).diagnostics));
    }
  }
  const sorted = sortDiagnostics(all);
  for (const d of sorted) process.stdout.write(`${formatDiagnostic(d)}\n`);
  const errors = sorted.filter((d) => d.severity === 'error').length;
  const warnings = sorted.length - errors;
  const checkedNote = config ? `${files.length} runbook${files.length === 1 ? '' : 's'} checked` : 'runbooks not checked because the config is invalid';
  process.stdout.write(`${errors ? 'invalid' : 'valid'}: ${checkedNote}, ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (config ${configPath})\n`);
  return errors ? 2 : 0;
}
