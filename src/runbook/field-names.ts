// Human names for places in a runbook or config: "`timeout` in step 2 ("Backfill")" instead of the JSON
// pointer "/steps/1/timeout". Step numbers are 1-based, like the plan shows them.

type Raw = Record<string, unknown>;

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** `step 2 ("Backfill")`, or `step 2` when the step has no usable name. */
export function stepLabel(index: number, name: unknown): string {
  return typeof name === 'string' && name.trim() !== '' ? `step ${index + 1} ("${name}")` : `step ${index + 1}`;
}

function fieldText(segments: string[]): string {
  const last = segments.at(-1);
  if (last !== undefined && /^\d+$/.test(last)) {
    return `item ${Number(last) + 1} of ${fieldText(segments.slice(0, -1))}`;
  }
  return `\`${segments.map((s) => (/^\d+$/.test(s) ? `[${Number(s) + 1}]` : s)).join('.').replace(/\.\[/g, '[')}\``;
}

/** Names the value at a JSON pointer; `data` is the parsed document (for step names). */
export function describePath(path: string, data: unknown, documentName: string): string {
  if (path === '') return documentName;
  const segments = path.split('/').slice(1).map(unescape);
  if (segments[0] === 'steps' && segments[1] !== undefined && /^\d+$/.test(segments[1])) {
    const index = Number(segments[1]);
    const steps = (data as Raw | undefined)?.steps;
    const step = Array.isArray(steps) ? (steps[index] as Raw | undefined) : undefined;
    const label = stepLabel(index, step && typeof step === 'object' ? step.name : undefined);
    const rest = segments.slice(2);
    return rest.length ? `${fieldText(rest)} in ${label}` : label;
  }
  const owner = segments[0] === 'targets' ? 'target' : segments[0] === 'databases' ? 'database' : undefined;
  if (owner && segments.length > 2) return `${fieldText(segments.slice(2))} of ${owner} "${segments[1]}"`;
  return fieldText(segments);
}
