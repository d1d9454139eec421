// `opsgate plan [--config f] <runbook>...`: prints the markdown the PR comment would show (without approvals,
// which only exist on a pull request). Exit 0 when every runbook is valid, 2 on bad input or usage.
import { parseArgs } from 'node:util';
import { checkRunbook } from '../runbook/check.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { formatDiagnostic, hasErrors } from '../runbook/diagnostics.js';
import { planRunbook, type Plan } from '../plan/plan.js';
import { renderPlanComment } from '../render/plan-comment.js';
import { readSourceFile } from './read-source.js';

export const PLAN_USAGE = 'opsgate plan [--config .github/opsgate.yml] <runbook>...';

export async function planCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    process.stderr.write(`opsgate plan: ${error instanceof Error ? error.message : String(error)}\nUsage: ${PLAN_USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: ${PLAN_USAGE}\nPrints the plan a pull request comment would show; exit 0 when every runbook is valid, 2 otherwise.\n`);
    return 0;
  }
  const files = parsed.positionals;
  if (!files.length) {
    process.stderr.write(`opsgate plan: which runbook?\nUsage: ${PLAN_USAGE}\n`);
    return 2;
  }
  const configPath = parsed.values.config ?? '.github/opsgate.yml';
  const configRead = readSourceFile(configPath);
  if ('problem' in configRead) {
    process.stderr.write(`${formatDiagnostic(configRead.problem)} Pass --config <file> to use another repo config.\n`);
    return 2;
  }
  const loaded = loadRepoConfig(configRead.source);
  for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!loaded.value) return 2;

  const plan: Plan = { headSha: 'working-tree', runbooks: [], configDiagnostics: loaded.diagnostics, configPath: configRead.source.path };
  for (const file of files) {
    const read = readSourceFile(file);
    if ('problem' in read) {
      process.stderr.write(`${formatDiagnostic(read.problem)}\n`);
      return 2;
    }
    const check = await checkRunbook(read.source, loaded.value);
    for (const d of check.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    plan.runbooks.push(planRunbook(check, loaded.value));
  }
  // The terminal has no comment limit: print everything.
  process.stdout.write(`${renderPlanComment(plan, { budget: Number.MAX_SAFE_INTEGER })}\n`);
  const bad = plan.runbooks.some((r) => r.status === 'invalid') || hasErrors(loaded.diagnostics);
  return bad ? 2 : 0;
}
