// Turns a plain postgres:// URL into libpq environment variables, so the password never appears in a
// process's argv (visible to every user through ps). Returns undefined for anything else (query options,
// key=value strings): those are passed to psql as --dbname unchanged.
export function connectionEnv(url: string): Record<string, string> | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') || parsed.search !== '' || parsed.hash !== '') return undefined;
  const env: Record<string, string> = {};
  if (parsed.hostname) env.PGHOST = parsed.hostname.replace(/^\[|\]$/g, '');
  if (parsed.port) env.PGPORT = parsed.port;
  if (parsed.username) env.PGUSER = decodeURIComponent(parsed.username);
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) env.PGDATABASE = database;
  return env;
}
