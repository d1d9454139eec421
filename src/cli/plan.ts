// `opsgate plan [--config f] <runbook>...`: prints the markdown the PR comment would show (without approvals,
// which only exist on a pull request). Exit 0 when every runbook is valid, 2 on bad input or usage.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkRunbook } from '../runbook/check.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { formatDiagnostic, hasErrors } from '../runbook/diagnostics.js';
import { planRunbook, type Plan } from '../plan/plan.js';
import { renderPlanComment } from '../render/plan-comment.js';

export const PLAN_USAGE = 'opsgate plan [--config .github/opsgate.yml] <runbook>...';

function toRepoPath(file: string): string {
  return path.relative(process.cwd(), path.resolve(file)).split(path.sep).join('/');
}

function readText(file: string): string | Error {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export async function planCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nUsage: ${PLAN_USAGE}\n`);
    return 2;
  }
  const files = parsed.positionals;
  if (!files.length) {
    process.stderr.write(`Which runbook?\nUsage: ${PLAN_USAGE}\n`);
    return 2;
  }
  const configPath = parsed.values.config ?? '.github/opsgate.yml';
  const configText = readText(configPath);
  if (configText instanceof Error) {
    process.stderr.write(`Cannot read the repo config ${configPath}: ${configText.message}. Pass --config <file>.\n`);
    return 2;
  }
  const loaded = loadRepoConfig({ path: toRepoPath(configPath), text: configText });
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.value) return 2;

  const plan: Plan = { headSha: 'working-tree', runbooks: [], configDiagnostics: loaded.diagnostics, configPath: toRepoPath(configPath) };
  for (const file of files) {
    const text = readText(file);
    if (text instanceof Error) {
      process.stderr.write(`Cannot read ${file}: ${text.message}\n`);
      return 2;
    }
    const check = await checkRunbook({ path: toRepoPath(file), text }, loaded.value);
    for (const d of check.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    plan.runbooks.push(planRunbook(check, loaded.value));
  }
  // The terminal has no comment limit: print everything.
  process.stdout.write(`${renderPlanComment(plan, { budget: Number.MAX_SAFE_INTEGER })}\n`);
  const bad = plan.runbooks.some((r) => r.status === 'invalid') || hasErrors(loaded.diagnostics);
  return bad ? 2 : 0;
}
