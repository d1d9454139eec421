// `opsgate demo`. (Stub: replaced by the work that builds it.)
export async function demoCommand(_args: string[]): Promise<number> {
  process.stderr.write('opsgate demo is not built yet.\n');
  return 2;
}
