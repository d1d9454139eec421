// One way to turn anything thrown into the text a user reads. AWS SDK errors carry their exception name
// (AccessDeniedException, ThrottlingException), which is often the most useful part, so it is kept.
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message;
}
