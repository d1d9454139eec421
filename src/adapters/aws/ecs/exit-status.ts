// One-line descriptions of how a remote step ended, for the result comment and the audit log.
export function describeExitCode(code: number | null): string {
  if (code === null) return 'exit status unknown: the session ended before the command reported it';
  if (code === 0) return 'exited with code 0';
  if (code > 128 && code < 160) return `killed by signal ${code - 128}${signalName(code - 128)} (exit status ${code})`;
  if (code === 127) return 'exited with code 127 (command not found)';
  return `exited with code ${code}`;
}

/** What stopping did, from the runner's record: SIGINT was enough, SIGKILL was needed, or it never started. */
export function describeStop(how: string, code: number): string {
  if (how === 'not-started') return 'stopped before the step started: it did not run';
  if (how === 'SIGINT') return `sent SIGINT to the step's process group; it stopped (${describeExitCode(code)})`;
  if (how === 'SIGKILL') return `sent SIGINT to the step's process group; it was still running after 1 s and was killed with SIGKILL (${describeExitCode(code)})`;
  return `it had already finished (${describeExitCode(code)})`;
}

function signalName(n: number): string {
  const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };
  return names[n] ? ` (${names[n]})` : '';
}
