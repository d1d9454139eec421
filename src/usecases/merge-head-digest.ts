// The digest a runbook had at the PR's approved head commit, for PRs without a plan comment (fork PRs: the PR
// phase's read-only token cannot write one). Reads the runbook and the repo config at `pr.headSha` through the
// GitHub port and checks them with the same code as at merge. GitHub errors are thrown (the caller reports
// an outage); content problems come back as `missing`, which the digest gate refuses.
import type { GitHubGateway, PullRequestInfo } from '../ports/github.js';
import type { RepoConfig } from '../runbook/model.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { checkRunbook } from '../runbook/check.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../runbook/diagnostics.js';
import type { ReviewedDigest } from './merge-plan-digest.js';

type HeadConfig = { config: RepoConfig } | { missing: string };

/** Reads the config at the head once per PR and each runbook when asked. */
export function headDigests(github: GitHubGateway, pr: PullRequestInfo, configPath: string): (path: string) => Promise<ReviewedDigest> {
  let config: Promise<HeadConfig> | undefined;
  return async (path) => {
    config ??= headConfig(github, configPath, pr.headSha);
    const loaded = await config;
    if ('missing' in loaded) return { against: 'head-commit', headSha: pr.headSha, missing: loaded.missing };
    const bytes = await github.readFile(path, pr.headSha);
    if (bytes === null) return { against: 'head-commit', headSha: pr.headSha, missing: `${path} does not exist at ${pr.headSha.slice(0, 7)}` };
    const result = await checkRunbook({ path, bytes }, loaded.config);
    // The same rule as at merge (loadAtMerge): any error diagnostic means no digest to compare with.
    if (!result.checked || hasErrors(result.diagnostics)) return { against: 'head-commit', headSha: pr.headSha, missing: invalidAt(path, pr.headSha, result.diagnostics) };
    return { against: 'head-commit', headSha: pr.headSha, digest: result.checked.digest };
  };
}

async function headConfig(github: GitHubGateway, configPath: string, headSha: string): Promise<HeadConfig> {
  const bytes = await github.readFile(configPath, headSha);
  if (bytes === null) return { missing: `${configPath} does not exist at ${headSha.slice(0, 7)}` };
  const loaded = loadRepoConfig({ path: configPath, bytes });
  return loaded.value && !hasErrors(loaded.diagnostics) ? { config: loaded.value } : { missing: invalidAt(configPath, headSha, loaded.diagnostics) };
}

/** "<path> is not valid at <sha>: <first error>", so the refusal says what to fix. */
function invalidAt(path: string, sha: string, diagnostics: readonly Diagnostic[]): string {
  const first = diagnostics.find((d) => d.severity === 'error');
  return `${path} is not valid at ${sha.slice(0, 7)}: ${first ? formatDiagnostic(first) : 'it could not be checked'}`;
}
