// The `opsgate` command line's composition root: parses the command and hands off to src/cli/<command>.ts.
// Exit codes: 0 ok, 1 a failed step or a refusal, 2 bad input or usage.
import './runtime-shim.js';
import { validateCommand } from './cli/validate.js';
import { planCommand } from './cli/plan.js';
import { runCommand } from './cli/run.js';
import { auditCommand } from './cli/audit.js';
import { demoCommand } from './cli/demo.js';

export type CliCommand = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: CliCommand; usage: string }> = {
  validate: { run: validateCommand, usage: 'opsgate validate [--config .github/opsgate.yml] [paths...]' },
  plan: { run: planCommand, usage: 'opsgate plan [--config .github/opsgate.yml] <runbook>' },
  run: { run: runCommand, usage: 'opsgate run <runbook> --local [--config …] [--transcript file.jsonl]' },
  audit: { run: auditCommand, usage: 'opsgate audit verify (--file transcript.jsonl | --log-group G --stream S [--region R])' },
  demo: { run: demoCommand, usage: 'opsgate demo   (validate, plan and run the example runbook locally)' },
};

export function usage(): string {
  return ['Usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
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
