// `opsgate run <runbook> --local [--config .github/opsgate.yml] [--transcript path.jsonl]`: the CLI's
// composition root for a local run. Exit codes: 0 ok, 1 failed step or refusal, 2 bad input or usage.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkRunbook } from '../runbook/check.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { systemClock } from '../ports/clock.js';
import { runLocally, type LocalRunTerminal } from '../usecases/local-run.js';
import { loadLocalAdapters } from './local-adapters.js';
import { readSourceFile } from './read-source.js';
import { operatorEnvironment } from '../adapters/local/local-executor.js';
import { formatDiagnostic } from '../runbook/diagnostics.js';

export const RUN_USAGE = 'opsgate run <runbook> --local [--config .github/opsgate.yml] [--transcript file.jsonl]';

export async function runCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { local: { type: 'boolean' }, config: { type: 'string' }, transcript: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) {
    process.stdout.write(`Usage: ${RUN_USAGE}\nRuns every step on this machine (SQL through psql) and writes a JSON-lines transcript; exit 0 ok, 1 a failed step or refusal, 2 bad input.\n`);
    return 0;
  }
  const [runbookPath, ...extra] = parsed.positionals;
  if (!runbookPath || extra.length) return usageError(runbookPath ? `one runbook at a time (got ${parsed.positionals.length})` : 'which runbook?');
  if (!parsed.values.local) {
    return usageError('opsgate run only runs on this machine: add --local. Production runs happen through the GitHub Action when a reviewed PR merges.');
  }
  const runId = `local-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  return runLocalFile({
    runbookPath,
    configPath: parsed.values.config ?? '.github/opsgate.yml',
    transcriptPath: parsed.values.transcript ?? path.join(tmpdir(), 'opsgate', `${runId}.jsonl`),
    runId,
    env: process.env as Record<string, string>,
  });
}

export interface LocalFileRun {
  runbookPath: string;
  configPath: string;
  transcriptPath: string;
  runId: string;
  env: Record<string, string>;
  ignoreWindow?: boolean;
}

/** Reads the files, wires the local adapters and runs; shared with `opsgate demo`. */
export async function runLocalFile(run: LocalFileRun): Promise<number> {
  const runbook = readSourceFile(run.runbookPath);
  const config = readSourceFile(run.configPath);
  if ('problem' in runbook || 'problem' in config) {
    for (const read of [runbook, config]) if ('problem' in read) process.stderr.write(`${formatDiagnostic(read.problem)}\n`);
    process.stderr.write('Nothing ran.\n');
    return 2;
  }
  const adapters = await loadLocalAdapters();
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`Received ${signal} again: still stopping the step and recording the cancellation…\n`);
      return;
    }
    process.stderr.write(`\nReceived ${signal}: stopping the step in flight and recording the cancellation…\n`);
    controller.abort(new Error(`cancelled by ${signal}`));
  };
  // `on`, not `once` (as in main.ts): a second Ctrl-C must not fall back to Node's default of dying before the
  // transcript records how the step ended.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    mkdirSync(path.dirname(path.resolve(run.transcriptPath)), { recursive: true });
    const outcome = await runLocally({
      runbook: runbook.source,
      config: config.source,
      loadRepoConfig,
      checkRunbook,
      createExecutor: adapters.createExecutor,
      createAudit: () => adapters.createAudit(run.transcriptPath),
      psqlAvailable,
      clock: systemClock,
      signal: controller.signal,
      // The operator's own environment, minus what belongs to a GitHub Actions job (local-executor.ts explains).
      env: operatorEnvironment(run.env),
      terminal: stdoutTerminal(),
      runId: run.runId,
      ...(run.ignoreWindow ? { ignoreWindow: true } : {}),
    });
    return outcome.exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Writes opsgate's lines and the steps' output, keeping our lines at the start of a line. */
export function stdoutTerminal(write: (text: string) => void = (t) => process.stdout.write(t)): LocalRunTerminal {
  let atLineStart = true;
  return {
    line(text) {
      write(`${atLineStart ? '' : '\n'}${text}\n`);
      atLineStart = true;
    },
    output(text) {
      if (!text) return;
      write(text);
      atLineStart = text.endsWith('\n');
    },
  };
}

export function psqlAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('psql', ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

function usageError(message: string): number {
  process.stderr.write(`opsgate run: ${message}\nUsage: ${RUN_USAGE}\n`);
  return 2;
}
