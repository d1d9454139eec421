// A nesting limit checked on yaml's concrete syntax tree, before the document is composed: the composer and
// everything after it recurse, so a file of 20,000 nested brackets would otherwise end in a stack overflow.
// The walk here is iterative. No runbook or config needs more than a handful of levels.
export const MAX_NESTING_DEPTH = 32;

interface CstLike {
  type?: string;
  offset?: number;
  value?: unknown;
  items?: { key?: unknown; value?: unknown }[];
}

/** Offset of the first collection nested deeper than the limit, or undefined. */
export function tooDeepOffset(tokens: readonly unknown[], limit = MAX_NESTING_DEPTH): number | undefined {
  const stack = tokens.map((token) => ({ token, depth: 0 }));
  while (stack.length) {
    const { token, depth } = stack.pop()!;
    const t = token as CstLike | null;
    if (!t || typeof t !== 'object') continue;
    if (t.type === 'document') {
      if (t.value) stack.push({ token: t.value, depth });
      continue;
    }
    if (!Array.isArray(t.items)) continue;
    if (depth + 1 > limit) return t.offset ?? 0;
    for (const item of t.items) {
      if (item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
  return undefined;
}
