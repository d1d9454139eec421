// deny-commands matches commands, not text: shell-quote splits the script, quotes are removed, wrappers
// (sudo, env, timeout...) are looked through, and `bash -c`, `eval`, `$(...)` and backticks are opened.
import { describe, expect, it } from 'vitest';
import { lintShellStep } from '../../src/runbook/lint-shell.js';
import type { ShellStep } from '../../src/runbook/model.js';

const step = (run: string): ShellStep => ({ kind: 'shell', name: 'ops', index: 2, run, timeoutSeconds: 60, continueOnError: false });

/** The script starts at file line 20, column 7 (a plain scalar); later lines start at column 1. */
function hits(run: string, deny = ['shutdown', 'rm -rf /', 'reboot']) {
  const bytes = Buffer.from(run, 'utf8');
  const locate = (byteOffset: number) => {
    const lines = bytes.subarray(0, byteOffset).toString('utf8').split('\n');
    const at = { line: 20 + lines.length - 1, column: (lines.length === 1 ? 7 : 1) + Array.from(lines.at(-1)!).length };
    return { start: at, end: at };
  };
  return lintShellStep(step(run), deny, 'runbooks/x.yml', locate).map((d) => `${d.message.match(/runs "([^"]+)"/)![1]}@${d.span.start.line}:${d.span.start.column}`);
}

describe('deny-commands', () => {
  it.each([
    ['echo shutdownlog', []],
    ['echo "please do not shutdown"', []],
    ['grep -r shutdown /var/log', []],
    ['ls # shutdown', []],
    ['shutdown -h now', ['shutdown@20:7']],
    ['shut""down -h now', ['shutdown@20:7']],
    ["'shutdown'", ['shutdown@20:8']],
    ['sudo -u root /sbin/shutdown -r now', ['shutdown@20:20']],
    ['FOO=1 env -i nohup shutdown', ['shutdown@20:26']],
    ['timeout -s KILL 10 reboot', ['reboot@20:26']],
    ['echo start\n  shutdown', ['shutdown@21:3']],
    ['make build && shutdown || true', ['shutdown@20:21']],
    ['echo é; bash -c "shutdown now"', ['shutdown@20:24']],
    ['x=$(reboot)', ['reboot@20:11']],
    ['echo `reboot`', ['reboot@20:13']],
    ['eval shutdown', ['shutdown@20:12']],
    ['rm -rf /', ['rm -rf /@20:7']],
    ['rm  -rf   / --no-preserve-root', ['rm -rf /@20:7']],
    ['rm -rf /tmp/cache', []],
    ['echo a \\\n  && shutdown', ['shutdown@21:6']],
    ['cat > /tmp/shutdown <<EOF', []],
  ])('%j → %j', (run, expected) => {
    expect(hits(run)).toEqual(expected);
  });

  it('names the step by number and name, and matches entries with operators as text', () => {
    expect(lintShellStep(step('shutdown'), ['shutdown'], 'f', () => ({ start: { line: 1, column: 1 }, end: { line: 1, column: 1 } }))[0]!.message)
      .toBe('step 3 ("ops") runs "shutdown", which the repo policy denies (policy.deny-commands)');
    expect(hits('echo x;  :(){ :|:& };:', [':(){ :|:& };:'])).toEqual([':(){ :|:& };:@20:16']);
  });
});
