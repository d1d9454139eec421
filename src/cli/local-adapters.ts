// The local executor and the JSON-lines audit log for `opsgate run --local` and `opsgate demo`.
import type { AuditLog } from '../ports/audit.js';
import type { StepExecutor } from '../ports/executor.js';
import { createLocalExecutor } from '../adapters/local/local-executor.js';
import { createFileAuditLog } from '../adapters/local/file-audit.js';

export interface LocalAdapters {
  createExecutor(): StepExecutor;
  createAudit(transcriptPath: string): AuditLog;
}

export async function loadLocalAdapters(): Promise<LocalAdapters> {
  return {
    createExecutor: () => createLocalExecutor(),
    createAudit: (path) => createFileAuditLog(path),
  };
}
