// The `opsgate` command line's composition root: parses the command and hands off to src/cli/<command>.ts.
// Exit codes: 0 ok, 1 a failed step or a refusal, 2 bad input or usage.
import './runtime-shim.js';
import { validateCommand, VALIDATE_USAGE } from './cli/validate.js';
import { planCommand, PLAN_USAGE } from './cli/plan.js';
import { runCommand, RUN_USAGE } from './cli/run.js';
import { auditCommand, AUDIT_USAGE } from './cli/audit.js';
import { demoCommand, DEMO_USAGE } from './cli/demo.js';

export type CliCommand = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: CliCommand; usage: string; summary: string }> = {
  validate: { run: validateCommand, usage: VALIDATE_USAGE, summary: 'check the repo config and runbooks (default: runbooks/)' },
  plan: { run: planCommand, usage: PLAN_USAGE, summary: 'print the plan a pull request comment would show' },
  run: { run: runCommand, usage: RUN_USAGE, summary: 'run a runbook on this machine, with a JSON-lines transcript' },
  audit: { run: auditCommand, usage: AUDIT_USAGE, summary: 'verify a transcript (file or CloudWatch Logs stream)' },
  demo: { run: demoCommand, usage: DEMO_USAGE, summary: 'validate, plan and run the example runbook against a throwaway PostgreSQL' },
};

export function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]);
  return ['Usage:', ...lines, '', 'Exit codes: 0 ok, 1 a failed step or a refusal, 2 bad input or usage. `opsgate <command> --help` for one command.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`${name ? `Unknown command "${name}".\n` : ''}${usage()}\n`);
    return 2;
  }
  try {
    return await command.run(args);
  } catch (error) {
    process.stderr.write(`opsgate ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
