// `opsgate audit`. (Stub: replaced by the work that builds it.)
export async function auditCommand(_args: string[]): Promise<number> {
  process.stderr.write('opsgate audit is not built yet.\n');
  return 2;
}
