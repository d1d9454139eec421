// deny-commands: a `run` script must not contain any denied command. Matching is on whitespace-normalised
// text (runs of spaces/tabs count as one space) so "rm  -rf   /" is caught; the reported position is the exact
// line and column of the hit inside the script.
import type { Diagnostic } from './diagnostics.js';
import type { ShellStep, SourceSpan } from './model.js';

/** Normalised text plus, for each normalised char, its index in the original. */
function normalise(text: string): { norm: string; map: number[] } {
  let norm = '';
  const map: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t') {
      if (norm.endsWith(' ')) continue;
      norm += ' ';
    } else norm += ch;
    map.push(i);
  }
  return { norm, map };
}

export function lintShellStep(step: ShellStep, denyCommands: readonly string[], file: string, locate: (byteOffset: number) => SourceSpan): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { norm, map } = normalise(step.run);
  for (const denied of denyCommands) {
    const needle = normalise(denied.trim()).norm;
    if (!needle) continue;
    let from = 0;
    for (;;) {
      const at = norm.indexOf(needle, from);
      if (at < 0) break;
      const charIndex = map[at]!;
      out.push({ file, span: locate(Buffer.byteLength(step.run.slice(0, charIndex), 'utf8')), severity: 'error', code: 'shell-denied-command',
        message: `step "${step.name}" runs "${denied}", which the repo policy denies (policy.deny-commands)`, fix: 'remove the command, or ask the platform team to change policy.deny-commands' });
      from = at + needle.length;
    }
  }
  return out;
}
