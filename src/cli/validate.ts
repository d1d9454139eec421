// `opsgate validate`. (Stub: replaced by the work that builds it.)
export async function validateCommand(_args: string[]): Promise<number> {
  process.stderr.write('opsgate validate is not built yet.\n');
  return 2;
}
