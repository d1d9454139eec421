// ECS ARNs and short names: the last path segment is the name or id in both forms.
export function lastSegment(arnOrName: string): string {
  const parts = arnOrName.split('/');
  return parts[parts.length - 1] ?? arnOrName;
}
