// `opsgate validate [--config path] [paths...]`: checks the repo config and every runbook (files, or *.yml/*.yaml
// under directories; default runbooks/). Prints one line per problem and a summary. Exit 0 = no errors, 2 = errors.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRepoConfigBytes } from '../config/load-repo-config.js';
import { checkRunbookInput } from '../runbook/check.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../runbook/diagnostics.js';

function yamlFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? yamlFilesUnder(join(path, e.name)) : /\.ya?ml$/.test(e.name) ? [join(path, e.name)] : []));
}

function fileProblem(file: string, message: string): Diagnostic {
  return { file, span: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }, severity: 'error', code: 'unreadable-file', message };
}

export async function validateCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  } catch (e) {
    process.stderr.write(`opsgate validate: ${(e as Error).message}\nUsage: opsgate validate [--config .github/opsgate.yml] [paths...]\n`);
    return 2;
  }
  const configPath = parsed.values.config ?? '.github/opsgate.yml';
  const all: Diagnostic[] = [];
  let config;
  try {
    const loaded = loadRepoConfigBytes(configPath, readFileSync(configPath));
    all.push(...loaded.diagnostics);
    config = loaded.value;
  } catch (e) {
    all.push(fileProblem(configPath, `cannot read the repo config: ${(e as Error).message}`));
  }
  let files: string[] = [];
  for (const p of parsed.positionals.length ? parsed.positionals : ['runbooks']) {
    try { files.push(...yamlFilesUnder(p)); } catch (e) { all.push(fileProblem(p, `cannot read: ${(e as Error).message}`)); }
  }
  files = [...new Set(files)];
  if (config) {
    for (const f of files) {
      try {
        all.push(...(await checkRunbookInput(f, readFileSync(f), config)).diagnostics);
      } catch (e) {
        all.push(fileProblem(f, `cannot read: ${(e as Error).message}`));
      }
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
