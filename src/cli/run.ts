// `opsgate run`. (Stub: replaced by the work that builds it.)
export async function runCommand(_args: string[]): Promise<number> {
  process.stderr.write('opsgate run is not built yet.\n');
  return 2;
}
