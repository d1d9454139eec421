// The default approval rules are written once (src/policy/stricter-policy.ts): the config loader fills a config
// without `policy.approvals` from that constant, so the PR phase, the merge phase and the base-config floor agree.
import { describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../src/config/load-repo-config.js';
import { DEFAULT_APPROVAL_RULES } from '../../src/policy/stricter-policy.js';

const load = (text: string) => {
  const loaded = loadRepoConfig({ path: '.github/opsgate.yml', text });
  if (!loaded.value) throw new Error(`config did not load: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.value;
};

describe('default approval rules', () => {
  it('are one approval from anyone with write access, on the final head', () => {
    expect(DEFAULT_APPROVAL_RULES).toEqual({ required: 1, from: [], allowStale: false });
  });

  it('fill a config without policy.approvals', () => {
    const config = load('version: 1\ntargets:\n  dev-box:\n    local: {}\n');
    expect(config.policy.approvals).toEqual(DEFAULT_APPROVAL_RULES);
  });

  it('fill only the fields the config leaves out, and never share the default list', () => {
    const config = load('version: 1\ntargets:\n  dev-box:\n    local: {}\npolicy:\n  approvals: { required: 2 }\n');
    expect(config.policy.approvals).toEqual({ ...DEFAULT_APPROVAL_RULES, required: 2 });
    expect(config.policy.approvals.from).not.toBe(DEFAULT_APPROVAL_RULES.from);
  });
});
