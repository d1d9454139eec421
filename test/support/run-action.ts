// Runs the bundled action the way the runner does: `node dist/index.js` with INPUT_* variables, an event
// payload file and the file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_STATE), then parses them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed bundle; OPSGATE_ACTION_ENTRY points at another build of it (a private bundle while dist/ is rebuilt). */
export const ACTION_ENTRY = process.env.OPSGATE_ACTION_ENTRY ?? fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export interface ActionRunOptions {
  eventName: string;
  payload: unknown;
  /** Input names as in action.yml ("github-token"); turned into INPUT_GITHUB-TOKEN like the runner does. */
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  repository?: string;
  sha?: string;
  /** Kill the process with this signal after the given delay. */
  signalAfter?: { signal: NodeJS.Signals; ms: number };
  /** Called with the child once it is spawned (to send signals at the right moment). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  cwd?: string;
}

export interface ActionRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  durationMs: number;
  dir: string;
}

/** Parses the runner's GITHUB_OUTPUT file format (name<<DELIMITER ... DELIMITER). */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      result[name!] = value.join('\n');
    } else if (lines[i]!.includes('=')) {
      const at = lines[i]!.indexOf('=');
      result[lines[i]!.slice(0, at)] = lines[i]!.slice(at + 1);
    }
  }
  return result;
}

export async function runAction(options: ActionRunOptions): Promise<ActionRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'opsgate-action-'));
  const files = {
    event: join(dir, 'event.json'),
    output: join(dir, 'output.txt'),
    summary: join(dir, 'summary.md'),
    state: join(dir, 'state.txt'),
  };
  writeFileSync(files.event, JSON.stringify(options.payload));
  for (const f of [files.output, files.summary, files.state]) writeFileSync(f, '');
  const inputEnv = Object.fromEntries(
    Object.entries(options.inputs ?? {}).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_STATE: files.state,
    GITHUB_REPOSITORY: options.repository ?? 'acme/ops',
    GITHUB_SHA: options.sha ?? '0000000000000000000000000000000000000000',
    GITHUB_RUN_ID: '1000',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: dir,
    ...inputEnv,
    ...options.env,
  };
  const started = Date.now();
  const child = spawn(process.execPath, [ACTION_ENTRY], { env, cwd: options.cwd ?? dir, stdio: ['ignore', 'pipe', 'pipe'] });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = options.signalAfter ? setTimeout(() => child.kill(options.signalAfter!.signal), options.signalAfter.ms) : undefined;
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  if (timer) clearTimeout(timer);
  return {
    exitCode,
    signal,
    stdout,
    stderr,
    outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    durationMs: Date.now() - started,
    dir,
  };
}
