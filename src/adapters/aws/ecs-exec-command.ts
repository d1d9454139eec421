// The command line ECS Exec runs for one step, and the parsing of its end marker. The step script is
// only ever base64 inside a fixed template; the exit status comes back as a per-run random marker
// because ECS Exec never reports exit codes.
import { randomBytes } from 'node:crypto';

const RS = '\x1e';

export interface ExitMarker {
  token: string;
  /** Longest possible marker text, for holding back the output tail. */
  maxLength: number;
}

export function newExitMarker(): ExitMarker {
  const token = `OPSGATE-EXIT-${randomBytes(12).toString('hex')}`;
  return { token, maxLength: `${RS}${token}:255${RS}`.length };
}

/** Shell-free payload: the agent splits on spaces and quotes, so only fixed text and base64 appear. */
export function buildExecCommand(stepScript: string, marker: ExitMarker): string {
  const script = Buffer.from(stepScript).toString('base64');
  // Raw pty: no echo, no \n → \r\n, so the bytes are the step's own; the marker carries $?.
  const wrapper = [
    'stty raw -echo -onlcr 2>/dev/null',
    `bash -c "$(printf %s ${script} | base64 -d)" opsgate-step </dev/null`,
    `printf "\\036%s:%d\\036" ${marker.token} "$?"`,
  ].join('; ');
  return `/bin/bash -c '${wrapper}'`;
}

/** Splits the marker off the end of the output: the exit status, or null when it never arrived. */
export function splitExitMarker(output: Buffer, marker: ExitMarker): { body: Buffer; exitCode: number | null } {
  const text = output.toString('latin1');
  const match = new RegExp(`${RS}${marker.token}:(\\d{1,3})${RS}(?:\\r?\\n)?$`).exec(text);
  if (!match) return { body: output, exitCode: null };
  return { body: output.subarray(0, match.index), exitCode: Number(match[1]) };
}

export function describeExitCode(code: number | null): string {
  if (code === null) return 'exit status unknown: the session ended before the command reported it';
  if (code === 0) return 'exited with code 0';
  if (code > 128 && code < 160) return `killed by signal ${code - 128}${signalName(code - 128)} (exit status ${code})`;
  if (code === 127) return 'exited with code 127 (command not found)';
  return `exited with code ${code}`;
}

function signalName(n: number): string {
  const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM', 6: 'SIGABRT', 11: 'SIGSEGV' };
  return names[n] ? ` (${names[n]})` : '';
}
