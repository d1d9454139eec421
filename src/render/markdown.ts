// Markdown helpers shared by the plan and result comments: escaping, robust code fences, <details>, and
// size-aware truncation under GitHub's 65,536-character comment limit. Pure.

/** GitHub rejects comment bodies over this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/**
 * "@name" in untrusted text (titles, step names, paths, team names from the PR's config) must not ping anyone:
 * a zero-width space after the "@" breaks GitHub's mention (and team mention) detection but reads the same.
 * Not needed inside code spans and fences, where GitHub never links mentions.
 */
export function neutraliseMentions(text: string): string {
  return text.replace(/@/g, '@&#8203;');
}

/** Escapes text for inline use (table cells, list items): markdown punctuation, HTML, pipes, newlines, mentions. */
export function escapeInline(text: string): string {
  const escaped = text
    .replace(/[\\`*_{}[\]()#+!|~>]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\r?\n/g, ' ');
  return neutraliseMentions(escaped);
}

/** Escapes text for HTML contexts (<summary>), where markdown is not processed but mentions are. */
export function escapeHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
  return neutraliseMentions(escaped);
}

/** Inline code that survives backticks in the content. */
export function inlineCode(text: string): string {
  const oneLine = text.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...[...oneLine.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${oneLine.replace(/\|/g, '\\|')}${pad}${ticks}`;
}

/** A fenced block whose fence is longer than any backtick run inside, so content can never close it. */
export function codeFence(content: string, language = ''): string {
  const longest = Math.max(0, ...[...content.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${fence}${language}\n${body}${fence}`;
}

export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** A table; empty cells show "—" so a blank never reads as "unknown". */
export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.trim() || '—').join(' | ')} |`;
  return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The first `maxLines` lines (and at most `maxChars`), and how much was left out. */
export function clip(text: string, maxLines: number, maxChars: number): { text: string; cut: boolean } {
  const lines = text.split('\n');
  let out = lines.slice(0, maxLines).join('\n');
  if (out.length > maxChars) out = out.slice(0, maxChars);
  return { text: out, cut: out.length < text.length };
}
