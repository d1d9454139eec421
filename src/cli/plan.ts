// `opsgate plan`. (Stub: replaced by the work that builds it.)
export async function planCommand(_args: string[]): Promise<number> {
  process.stderr.write('opsgate plan is not built yet.\n');
  return 2;
}
