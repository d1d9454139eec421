// The content digest binds a run to what reviewers saw: the runbook's exact bytes and the parts of the repo
// config that change what it does (its target, its databases, the policy). The merge phase refuses to run
// when the digest at merge differs from the one shown on the approved head.
import { createHash } from 'node:crypto';
import type { RepoConfig, Runbook } from '../runbook/model.js';

/** JSON with object keys sorted, so the same data always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function configPartsUsedBy(runbook: Runbook, config: RepoConfig): unknown {
  const databaseNames = [...new Set(runbook.steps.flatMap((s) => (s.kind === 'sql' ? [s.database] : [])))].sort();
  return {
    target: config.targets[runbook.target] ?? null,
    databases: databaseNames.map((name) => config.databases[name] ?? null),
    policy: config.policy,
  };
}

/** "sha256:<hex>" over the runbook text and the config parts it uses. */
export function runbookDigest(runbookText: string, runbook: Runbook, config: RepoConfig): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson({ v: 1, runbook: runbookText, config: configPartsUsedBy(runbook, config) }));
  return `sha256:${hash.digest('hex')}`;
}
