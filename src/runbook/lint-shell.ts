// deny-commands: a `run` script must not run a denied command. The script is split into simple commands with
// shell-quote (see shell-commands.ts) and each deny-commands entry matches a command that starts with its
// words: "shutdown" catches `sudo /sbin/shutdown -h now` and `shut""down`, not `echo shutdownlog`. It is a
// guard-rail against mistakes, not a sandbox. Entries holding shell operators are matched as plain text.
import type { Diagnostic } from './diagnostics.js';
import { stepLabel } from './field-names.js';
import type { ShellStep, SourceSpan } from './model.js';
import { commandMatches, deniedWords, shellCommands } from './shell-commands.js';

function collapseBlanks(text: string): string {
  return text.replace(/[ \t]+/g, ' ');
}

export function lintShellStep(step: ShellStep, denyCommands: readonly string[], file: string, locate: (byteOffset: number) => SourceSpan): Diagnostic[] {
  const out: Diagnostic[] = [];
  const commands = denyCommands.length ? shellCommands(step.run) : [];
  const report = (denied: string, charOffset: number) =>
    out.push({
      file, span: locate(Buffer.byteLength(step.run.slice(0, charOffset), 'utf8')), severity: 'error', code: 'shell-denied-command',
      message: `${stepLabel(step.index, step.name)} runs "${denied}", which the repo policy denies (policy.deny-commands)`,
      fix: 'remove the command, or ask the platform team to change policy.deny-commands',
    });
  for (const denied of denyCommands) {
    const words = deniedWords(denied);
    if (words) {
      for (const command of commands) if (commandMatches(command, words)) report(denied, command.offset);
      continue;
    }
    const needle = collapseBlanks(denied.trim());
    const at = needle ? collapseBlanks(step.run).indexOf(needle) : -1;
    if (at >= 0) report(denied, originalIndex(step.run, at));
  }
  return out;
}

/** Maps an index in the blank-collapsed text back to the original script. */
function originalIndex(text: string, collapsedIndex: number): number {
  let collapsed = 0;
  for (let i = 0; i < text.length; i++) {
    if (collapsed === collapsedIndex) return i;
    const blankRun = (text[i] === ' ' || text[i] === '\t') && (text[i + 1] === ' ' || text[i + 1] === '\t');
    if (!blankRun) collapsed++;
  }
  return text.length;
}
