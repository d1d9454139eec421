// The local executor with real processes: exit codes, signals, timeout, cancellation, streaming and
// back-pressured large output. Also runs the remote shell step script (renderStepScript) with bash.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalExecutor } from '../../src/adapters/local/local-executor.js';
import type { OutputListener, StepContext } from '../../src/ports/executor.js';
import type { ShellStep } from '../../src/runbook/model.js';
import { renderStepScript } from '../../src/run/step-script.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'opsgate-local-exec-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function shell(run: string, extra: Partial<ShellStep> = {}): ShellStep {
  return { kind: 'shell', name: 'sh', index: 0, timeoutSeconds: 60, continueOnError: false, run, ...extra };
}

function collect(): { text: () => string; onOutput: OutputListener; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  return { chunks, text: () => Buffer.concat(chunks).toString('utf8'), onOutput: async (_s, c) => void chunks.push(c) };
}

function context(onOutput: OutputListener, signal = new AbortController().signal): StepContext {
  return { runId: 'r', onOutput, signal, env: {} };
}

describe('local executor, shell steps', () => {
  it.each([
    [0, 'succeeded'],
    [1, 'failed'],
    [3, 'failed'],
  ])('reports exit code %i exactly', async (code, status) => {
    const result = await createLocalExecutor().runStep(shell(`echo hi; exit ${code}`), context(collect().onOutput));
    expect(result).toEqual({ status, exitCode: code, message: `exited with code ${code}` });
  });

  it('reports 127 for a missing command, with bash saying so on stderr', async () => {
    const out: string[] = [];
    const result = await createLocalExecutor().runStep(shell('opsgate-no-such-command'), context(async (s, c) => void out.push(`${s}:${Buffer.from(c)}`)));
    expect(result).toMatchObject({ status: 'failed', exitCode: 127 });
    expect(out.join('')).toMatch(/^stderr:.*opsgate-no-such-command: command not found/);
  });

  it('fails on the first failing command and on a failing pipeline stage (bash -eo pipefail)', async () => {
    const out = collect();
    expect(await createLocalExecutor().runStep(shell('false | cat\necho not reached'), context(out.onOutput))).toMatchObject({ exitCode: 1 });
    expect(out.text()).toBe('');
  });

  it('reports a process killed by a signal', async () => {
    const result = await createLocalExecutor().runStep(shell('kill -KILL $$'), context(collect().onOutput));
    expect(result).toEqual({ status: 'failed', exitCode: null, message: 'killed by SIGKILL' });
  });

  it('times out, terminating the whole process group, and escalates to SIGKILL', async () => {
    const marker = path.join(dir, 'child-survived');
    // The step ignores SIGTERM, and leaves a child that would write a marker later if it survived.
    const run = `trap '' TERM; (sleep 30; touch ${marker}) & sleep 30`;
    const result = await createLocalExecutor({ killGraceMs: 200 }).runStep(shell(run, { timeoutSeconds: 1 }), context(collect().onOutput));
    expect(result).toEqual({ status: 'timed-out', exitCode: null, message: 'timed out after 1s (killed by SIGKILL)' });
    const ps = spawnSync('pgrep', ['-f', `touch ${marker}`], { encoding: 'utf8' });
    expect(ps.stdout.trim()).toBe('');
  });

  it('is cancelled through the AbortSignal once output has arrived', async () => {
    const abort = new AbortController();
    const result = await createLocalExecutor().runStep(
      shell('echo started; sleep 30'),
      context(async () => abort.abort(), abort.signal),
    );
    expect(result).toEqual({ status: 'cancelled', exitCode: null, message: 'cancelled (killed by SIGTERM)' });
  });

  it('does not start when already cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    const marker = path.join(dir, 'started');
    const result = await createLocalExecutor().runStep(shell(`touch ${marker}`), context(collect().onOutput, abort.signal));
    expect(result).toEqual({ status: 'cancelled', exitCode: null, message: 'cancelled before it started' });
    expect(spawnSync('test', ['-e', marker]).status).toBe(1);
  });

  it('streams output while the process runs', async () => {
    // The step waits for a file that only the output listener creates: without streaming it would hang.
    const gate = path.join(dir, 'gate');
    const seen: string[] = [];
    const result = await createLocalExecutor().runStep(
      shell(`echo waiting; while [ ! -e ${gate} ]; do sleep 0.05; done; echo released`, { timeoutSeconds: 20 }),
      context(async (_s, c) => {
        seen.push(Buffer.from(c).toString());
        if (seen.join('').includes('waiting')) writeFileSync(gate, '');
      }),
    );
    expect(result.status).toBe('succeeded');
    expect(seen.join('')).toBe('waiting\nreleased\n');
  });

  it('stops the step when the output listener rejects (the audit log failed)', async () => {
    const result = await createLocalExecutor().runStep(
      shell('echo one; sleep 30'),
      context(async () => {
        throw new Error('audit log unavailable');
      }),
    );
    expect(result.status).toBe('cancelled');
    expect(result.message).toContain('the output could not be recorded');
  });

  it('passes 10 MB of output through in bounded chunks', async () => {
    let total = 0;
    let largest = 0;
    let hash = 0;
    const result = await createLocalExecutor().runStep(
      shell('head -c 10485760 /dev/zero | tr "\\0" "x"'),
      context(async (_s, c) => {
        total += c.length;
        largest = Math.max(largest, c.length);
        for (const byte of c) hash = (hash + byte) % 1_000_000_007;
      }),
    );
    expect(result.status).toBe('succeeded');
    expect(total).toBe(10 * 1024 * 1024);
    expect(hash).toBe((10 * 1024 * 1024 * 0x78) % 1_000_000_007);
    expect(largest).toBeLessThanOrEqual(1024 * 1024);
  });

  it('runs in the working directory and with the given environment', async () => {
    const out = collect();
    const ctx = { ...context(out.onOutput), env: { OPSGATE_X: 'é $HOME' } };
    await createLocalExecutor().runStep(shell('pwd; printf "%s\\n" "$OPSGATE_X"', { workingDirectory: dir }), ctx);
    expect(out.text()).toBe(`${dir}\né $HOME\n`);
  });
});

describe('remote shell step script (renderStepScript) run with bash', () => {
  const runScript = (step: ShellStep) => spawnSync('bash', ['-c', renderStepScript(step)], { encoding: 'utf8' });

  it('runs the user script verbatim in its working directory with its exit status', () => {
    const odd = path.join(dir, "dir with 'quotes' $(x) and é");
    spawnSync('mkdir', ['-p', odd]);
    const user = `pwd\necho 'single' "double \\" quote" \`echo tick\` $((1+2))\ncat <<'EOF'\n$HOME stays\nEOF\nexit 3`;
    const run = runScript(shell(user, { workingDirectory: odd }));
    expect(run.status).toBe(3);
    expect(run.stdout).toBe(`${odd}\nsingle double " quote tick 3\n$HOME stays\n`);
  });

  it('fails on a failing pipeline stage and names a missing working directory', () => {
    expect(runScript(shell('false | cat; echo no')).status).toBe(1);
    const missing = runScript(shell('echo no', { workingDirectory: '/nonexistent/opsgate' }));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot change to working-directory /nonexistent/opsgate');
  });

  it('contains no runbook text in clear', () => {
    const script = renderStepScript(shell('echo SECRET_MARKER'));
    expect(script).not.toContain('SECRET_MARKER');
  });
});
