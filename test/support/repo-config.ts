// A validated repo config for tests that drive the orchestrator or the gates directly: the defaults of
// .github/opsgate.yml written out once, with each test naming only the targets and databases it needs.
import type { Database, Policy, RepoConfig, Target } from '../../src/runbook/model.js';

export const TEST_POLICY: Policy = {
  approvals: { required: 1, from: [], allowStale: false },
  denyCommands: [],
  sqlRules: { updateWithoutWhere: 'error', deleteWithoutWhere: 'error', drop: 'error', truncate: 'error', ddl: 'warning' },
  redact: [],
};

export function testRepoConfig(parts: { targets: Record<string, Target>; databases?: Record<string, Database>; policy?: Partial<Policy> }): RepoConfig {
  return {
    path: '.github/opsgate.yml',
    version: 1,
    targets: parts.targets,
    databases: parts.databases ?? {},
    policy: { ...TEST_POLICY, ...parts.policy },
  };
}
