// The `local` target: runs steps on this machine. Shell steps go to bash as a `-c` argument (never spliced
// into a command line); SQL steps go to psql with the rendered script on stdin. Each step runs in its own
// process group so timeouts and cancellation reach every child, and output is streamed through the awaited
// listener (back-pressure: the pipe is paused until the listener resolves).
//
// Steps do not inherit the runner's credentials: the action's inputs (INPUT_*, which hold the tokens), the
// runner's ACTIONS_* tokens, GITHUB_TOKEN, the job's AWS credentials and the runner's file commands
// (GITHUB_OUTPUT, GITHUB_ENV…, through which a step could rewrite the action's outputs) are removed. A step asks
// for a variable explicitly: a SQL step's database `url-env` is read from the full environment, and values
// handed in through StepContext.env are kept.
//
// `opsgate run --local` is an operator running a runbook on their own machine, with their own credentials: it
// hands in operatorEnvironment(process.env), which keeps the operator's AWS credentials (a local run may need
// them) but withholds what belongs to a GitHub Actions job (INPUT_*, ACTIONS_*, STATE_*, GITHUB_TOKEN/GH_TOKEN,
// the file commands), in case the CLI itself runs inside a workflow step.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ResolvedTarget, StepContext, StepExecutor, StepResult, StepStatus } from '../../ports/executor.js';
import type { SqlStep, Step } from '../../runbook/model.js';
import { splitPostgresStatements } from '../../runbook/lint-sql.js';
import { PSQL_ARGS, renderPsqlScript } from '../../run/psql-script.js';
import { BASH_STEP_FLAGS } from '../../run/step-script.js';
import { connectionEnv } from './pg-connection-env.js';
import { EXECUTOR_STOP_MS } from '../../run/cancel-budget.js';

export interface LocalExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a step is stopped (default EXECUTOR_STOP_MS, src/run/cancel-budget.ts). */
  killGraceMs?: number;
}

const AWS_CREDENTIAL_NAMES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];
/** The runner's file commands: through them a step could rewrite the action's outputs, env or state. */
const RUNNER_FILE_COMMANDS = ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'];

/** Variables no step of the action inherits (see the header). */
const WITHHELD_NAMES = new Set([
  'GITHUB_TOKEN',
  'GH_TOKEN',
  ...AWS_CREDENTIAL_NAMES,
  ...RUNNER_FILE_COMMANDS,
]);
const WITHHELD_PREFIXES = ['INPUT_', 'ACTIONS_', 'STATE_'];

/** What a GitHub Actions job holds that a local run never passes on (see the header). */
const JOB_ONLY_NAMES = new Set(['GITHUB_TOKEN', 'GH_TOKEN', ...RUNNER_FILE_COMMANDS]);

function without(env: NodeJS.ProcessEnv, withheld: (upper: string) => boolean): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !withheld(name.toUpperCase())) kept[name] = value;
  return kept;
}

const hasWithheldPrefix = (upper: string) => WITHHELD_PREFIXES.some((p) => upper.startsWith(p));

/** The inherited environment minus the runner's credentials and file commands; `given` is kept as asked. */
export function stepEnvironment(inherited: NodeJS.ProcessEnv, given: Record<string, string> = {}): Record<string, string> {
  return { ...without(inherited, (upper) => WITHHELD_NAMES.has(upper) || hasWithheldPrefix(upper)), ...given };
}

/** For `opsgate run --local`: the operator's environment, AWS credentials included, minus a job's tokens and file commands. */
export function operatorEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return without(env, (upper) => JOB_ONLY_NAMES.has(upper) || hasWithheldPrefix(upper));
}

interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  stdin?: Buffer;
}

export class LocalExecutor implements StepExecutor {
  private readonly killGraceMs: number;

  constructor(options: LocalExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? EXECUTOR_STOP_MS;
  }

  async prepare(): Promise<ResolvedTarget> {
    return { description: 'this machine', members: ['localhost'] };
  }

  async dispose(): Promise<void> {}

  async runStep(step: Step, context: StepContext): Promise<StepResult> {
    if (context.signal.aborted) return { status: 'cancelled', exitCode: null, message: 'cancelled before it started' };
    let launch: Launch;
    try {
      launch = step.kind === 'shell' ? this.shellLaunch(step, context) : await this.sqlLaunch(step, context);
    } catch (error) {
      return { status: 'error', exitCode: null, message: error instanceof Error ? error.message : String(error) };
    }
    return this.run(launch, step, context);
  }

  private shellLaunch(step: Step & { kind: 'shell' }, context: StepContext): Launch {
    return { command: 'bash', args: [...BASH_STEP_FLAGS, '-c', step.run, 'opsgate-step'], env: stepEnvironment(process.env, context.env), cwd: step.workingDirectory };
  }

  private async sqlLaunch(step: SqlStep, context: StepContext): Promise<Launch> {
    const database = context.database;
    if (!database) throw new Error(`SQL step "${step.name}": database "${step.database}" is not resolved`);
    if (database.engine !== 'postgres') throw new Error(`SQL step "${step.name}": engine ${database.engine} is not supported yet`);
    // The database's url-env is the config asking for that variable: read it from everything the step could see.
    const url = context.env?.[database.urlEnv] ?? process.env[database.urlEnv];
    if (!url) throw new Error(`SQL step "${step.name}": environment variable ${database.urlEnv} (the connection URL of database ${database.name}) is not set`);
    const parsed = await splitPostgresStatements(step.sql);
    if ('error' in parsed) throw new Error(`SQL step "${step.name}" does not parse: ${parsed.error.message}`);
    const fromUrl = connectionEnv(url);
    // A plain postgres:// URL travels as PG* environment variables so the password is not in psql's argv.
    const args = fromUrl ? [...PSQL_ARGS] : [...PSQL_ARGS, `--dbname=${url}`];
    return { command: 'psql', args, env: { ...stepEnvironment(process.env, context.env), ...fromUrl }, stdin: renderPsqlScript({ step, statements: parsed.statements }) };
  }

  private run(launch: Launch, step: Step, context: StepContext): Promise<StepResult> {
    return new Promise((resolve) => {
      let stopReason: 'timed-out' | 'cancelled' | undefined;
      let stopMessage = '';
      let spawnError: NodeJS.ErrnoException | undefined;
      const child = spawn(launch.command, launch.args, {
        cwd: launch.cwd,
        env: launch.env,
        detached: true,
        stdio: [launch.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (reason: 'timed-out' | 'cancelled', message: string) => {
        if (stopReason) return;
        stopReason = reason;
        stopMessage = message;
        signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), this.killGraceMs);
      };
      const timeout = setTimeout(() => stop('timed-out', `timed out after ${step.timeoutSeconds}s`), step.timeoutSeconds * 1000);
      const onAbort = () => stop('cancelled', 'cancelled');
      if (context.signal.aborted) onAbort();
      else context.signal.addEventListener('abort', onAbort, { once: true });

      if (launch.stdin && child.stdin) {
        child.stdin.on('error', () => {}); // the process may exit before reading all of it; its status says why
        child.stdin.end(launch.stdin);
      }
      const forward = (stream: Readable | null, name: 'stdout' | 'stderr') =>
        stream ? pumpOutput(stream, name, context, () => stop('cancelled', 'cancelled: the output could not be recorded')) : Promise.resolve();
      const pumps = Promise.all([forward(child.stdout, 'stdout'), forward(child.stderr, 'stderr')]);

      child.once('error', (error: NodeJS.ErrnoException) => {
        spawnError = error;
      });
      child.once('close', (code, signal) => {
        void pumps.then(() => {
          clearTimeout(timeout);
          clearTimeout(killTimer);
          context.signal.removeEventListener('abort', onAbort);
          resolve(resultOf(launch.command, code, signal, stopReason, stopMessage, spawnError));
        });
      });
    });
  }
}

export function createLocalExecutor(options?: LocalExecutorOptions): LocalExecutor {
  return new LocalExecutor(options);
}

/** Reads chunk by chunk and awaits the listener before reading on; a rejecting listener stops the step. */
async function pumpOutput(stream: Readable, name: 'stdout' | 'stderr', context: StepContext, onListenerFailure: () => void): Promise<void> {
  let failed = false;
  for await (const chunk of stream) {
    if (failed) continue; // drain so the process is not blocked on a full pipe while it is being killed
    try {
      await context.onOutput(name, chunk as Buffer);
    } catch {
      failed = true;
      onListenerFailure();
    }
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function resultOf(
  command: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stopReason: 'timed-out' | 'cancelled' | undefined,
  stopMessage: string,
  spawnError: NodeJS.ErrnoException | undefined,
): StepResult {
  if (spawnError?.code === 'ENOENT') {
    const message = command === 'psql' ? 'psql not found: install the PostgreSQL client (apt-get install postgresql-client)' : `${command} not found on this machine`;
    return { status: 'error', exitCode: null, message };
  }
  if (spawnError) return { status: 'error', exitCode: null, message: `could not start ${command}: ${spawnError.message}` };
  if (stopReason) {
    const how = signal ? ` (killed by ${signal})` : code !== null ? ` (exited with code ${code})` : '';
    return { status: stopReason, exitCode: code, message: `${stopMessage}${how}` };
  }
  if (signal) return { status: 'failed', exitCode: null, message: `killed by ${signal}` };
  const status: StepStatus = code === 0 ? 'succeeded' : 'failed';
  return { status, exitCode: code, message: `exited with code ${code}` };
}
