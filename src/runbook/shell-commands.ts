// Splits a shell script into the simple commands it runs, as words after quote removal (shell-quote does the
// tokenising), so deny-commands can match what would run rather than raw text: `shut""down` is the command
// `shutdown`, while `echo shutdownlog` runs `echo`. This is a guard-rail for honest mistakes, not a sandbox:
// a script can always build a command at run time (variables, eval of computed text, base64...).
import { parse, type ParseEntry } from 'shell-quote';

export interface ShellCommand {
  /** Words after assignments and wrappers such as sudo or env: words[0] is the program. */
  words: string[];
  /** Character offset in the script where the command's text is best located. */
  offset: number;
}

/** Programs that run their arguments as another command, with their options that take a value. */
const WRAPPERS: Record<string, ReadonlySet<string>> = {
  sudo: new Set(['-u', '-g', '-C', '-p', '-U', '-h', '-r', '-t', '-D']),
  doas: new Set(['-u', '-C']),
  env: new Set(['-u', '-C', '-P']),
  nice: new Set(['-n']),
  ionice: new Set(['-c', '-n', '-p']),
  timeout: new Set(['-s', '-k']),
  xargs: new Set(['-a', '-d', '-E', '-I', '-L', '-n', '-P', '-s']),
  nohup: new Set(), exec: new Set(['-a']), time: new Set(['-f', '-o']), command: new Set(), builtin: new Set(), stdbuf: new Set(), setsid: new Set(),
};
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'su']);
const REDIRECTIONS = new Set(['>', '>>', '<', '<<', '<<<', '>&', '<&', '>|', '&>', '&>>', '<>']);
const MAX_NESTING = 4;

interface LogicalLine {
  text: string;
  /** Offset in the script of each character of text. */
  offsets: number[];
}

/** Physical lines, with backslash-newline continuations joined. */
function logicalLines(script: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let text = '';
  let offsets: number[] = [];
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === '\\' && script[i + 1] === '\n') {
      i += 1;
      continue;
    }
    if (ch === '\n') {
      lines.push({ text, offsets });
      text = '';
      offsets = [];
      continue;
    }
    text += ch;
    offsets.push(i);
  }
  lines.push({ text, offsets });
  return lines;
}

function baseName(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

/** Drops leading VAR=value assignments and wrappers (with their options) until the real program. */
function unwrap(words: string[]): string[] {
  let i = 0;
  for (;;) {
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
    const wrapper = i < words.length ? baseName(words[i]!) : '';
    const valued = Object.hasOwn(WRAPPERS, wrapper) ? WRAPPERS[wrapper] : undefined;
    if (!valued) return words.slice(i);
    i++;
    while (i < words.length && words[i]!.startsWith('-')) i += valued.has(words[i]!) ? 2 : 1;
    if (wrapper === 'timeout' && i < words.length && /^\d/.test(words[i]!)) i++;
  }
}

/** Script text run by this command itself: `bash -c '...'`, `eval ...`, `$(...)` and backticks in words. */
function innerScripts(words: string[]): string[] {
  const inner: string[] = [];
  const program = words[0] ? baseName(words[0]) : '';
  const dashC = words.indexOf('-c');
  if (SHELLS.has(program) && dashC > 0 && words[dashC + 1] !== undefined) inner.push(words[dashC + 1]!);
  if (program === 'eval') inner.push(words.slice(1).join(' '));
  for (const word of words) {
    for (const m of word.matchAll(/\$\(([^()]*)\)|`([^`]*)`/g)) inner.push(m[1] ?? m[2] ?? '');
  }
  return inner;
}

function locate(line: LogicalLine, word: string): number {
  for (let length = word.length; length > 0; length--) {
    const at = line.text.indexOf(word.slice(0, length));
    if (at >= 0) return line.offsets[at] ?? 0;
  }
  const firstNonSpace = line.text.search(/\S/);
  return line.offsets[Math.max(0, firstNonSpace)] ?? 0;
}

function commandsOfTokens(tokens: ParseEntry[]): string[][] {
  const commands: string[][] = [[]];
  let skipNext = false;
  for (const token of tokens) {
    if (typeof token === 'string') {
      if (skipNext) skipNext = false;
      else commands.at(-1)!.push(token);
    } else if ('op' in token && REDIRECTIONS.has(token.op)) {
      skipNext = true; // the file name (or here-doc word) that follows is not a command word
    } else if ('op' in token) {
      commands.push([]);
    }
  }
  return commands.filter((c) => c.length);
}

/** Every simple command in the script, including those inside `bash -c`, `eval`, `$(...)` and backticks. */
export function shellCommands(script: string, depth = 0, outerLine?: LogicalLine): ShellCommand[] {
  const found: ShellCommand[] = [];
  for (const line of logicalLines(script)) {
    if (!line.text.trim()) continue;
    let tokens: ParseEntry[];
    try {
      tokens = parse(line.text, (name) => `$${name}`);
    } catch {
      continue; // shell-quote could not read this line; it is still shown to reviewers in the plan
    }
    for (const raw of commandsOfTokens(tokens)) {
      const words = unwrap(raw);
      if (!words.length) continue;
      // Commands inside `bash -c '...'` or $(...) are located on the line of the script that holds them.
      const where = outerLine ?? line;
      found.push({ words, offset: locate(where, words[0]!) });
      if (depth < MAX_NESTING) for (const inner of innerScripts(words)) found.push(...shellCommands(inner, depth + 1, where));
    }
  }
  return found;
}

/** True when the command starts with the denied words; the program is compared by its base name. */
export function commandMatches(command: ShellCommand, denied: readonly string[]): boolean {
  if (!denied.length || denied.length > command.words.length) return false;
  return denied.every((word, i) => (i === 0 ? baseName(command.words[0]!) === baseName(word) : command.words[i] === word));
}

/** The words of a deny-commands entry, tokenised like a script; undefined when it holds shell operators. */
export function deniedWords(entry: string): string[] | undefined {
  const tokens = parse(entry.trim(), (name) => `$${name}`);
  return tokens.every((t): t is string => typeof t === 'string') && tokens.length ? tokens : undefined;
}
