// Which merged pull request(s) a merge-phase event stands for (which files are runbooks: runbook-files.ts).
import type { GitHubGateway, PullRequestInfo } from '../ports/github.js';
import { proceed, refuse, type Outcome } from '../run/outcome.js';
import type { MergeTrigger } from './merge-trigger.js';

export type PullRequestsFound = { pullRequests: PullRequestInfo[] } | { outcome: Outcome };

export function isMergedInto(pr: PullRequestInfo, defaultBranch: string): boolean {
  return pr.mergedAt !== null && pr.baseRef === defaultBranch;
}

export async function findMergedPullRequests(
  github: GitHubGateway,
  trigger: MergeTrigger,
  isRunbook: (path: string) => boolean,
): Promise<PullRequestsFound> {
  if (trigger.kind === 'push' && trigger.branch !== trigger.defaultBranch) {
    return { outcome: refuse('no-reviewed-pull-request', `This push is to "${trigger.branch}", not the default branch "${trigger.defaultBranch}"; opsgate runs runbooks only after a merge into the default branch. Nothing ran.`) };
  }
  if (trigger.kind !== 'push' && trigger.pullRequest !== null) {
    const pr = await github.getPullRequest(trigger.pullRequest);
    if (trigger.kind === 'recheck' && !isMergedInto(pr, trigger.defaultBranch)) {
      return { outcome: refuse('no-reviewed-pull-request', `Pull request #${pr.number} is not merged into "${trigger.defaultBranch}"; opsgate runs only merged, reviewed pull requests. Nothing ran.`) };
    }
    return { pullRequests: [pr] };
  }
  const merged = await mergedPullRequestsOf(github, trigger);
  if (merged.length > 0) return { pullRequests: merged };

  if (trigger.kind !== 'push') {
    // A scheduled re-check or a queue check with no PR to look at has nothing to do; failing would only be noise.
    return { outcome: proceed('no-runbooks', `Commit ${trigger.sha.slice(0, 7)} belongs to no pull request merged into "${trigger.defaultBranch}"; nothing to check. To re-check a merged PR, dispatch the workflow with its number as the "pull-request" input.`) };
  }
  const touched = trigger.changedPaths.filter(isRunbook);
  if (touched.length === 0) return { outcome: proceed('no-runbooks', `Commit ${trigger.sha.slice(0, 7)} belongs to no merged pull request and changes no runbooks; nothing to run.`) };
  const how = trigger.forced ? 'a force push' : 'a direct push';
  const which = ` It changes ${touched.join(', ')}.`;
  return {
    outcome: refuse(
      'no-reviewed-pull-request',
      `Commit ${trigger.sha.slice(0, 7)} (${how}) does not belong to a pull request merged into "${trigger.defaultBranch}", so no reviewer approved it.${which} Nothing ran. ` +
        'Put runbooks through a pull request; to re-check a merged one, dispatch the workflow with its number as the "pull-request" input.',
    ),
  };
}

/** At most this many pushed commits are looked up (one API call each). */
export const MAX_PUSHED_COMMITS_LOOKED_UP = 20;

/**
 * PRs merged into the default branch by this push, oldest merge first. A merge queue (or a fast-forward)
 * can push several merges at once, so every pushed commit is looked up, not only the head; a PR counts only
 * when its merge commit is one of the pushed commits (a commit that merely appears in an older PR does not).
 */
async function mergedPullRequestsOf(github: GitHubGateway, trigger: MergeTrigger): Promise<PullRequestInfo[]> {
  const pushed = trigger.kind === 'push' ? [...trigger.commitIds.slice(-MAX_PUSHED_COMMITS_LOOKED_UP), trigger.sha] : [trigger.sha];
  const ids = [...new Set(pushed)];
  const found = new Map<number, PullRequestInfo>();
  for (const id of ids) {
    for (const pr of await github.listPullRequestsForCommit(id)) {
      if (!isMergedInto(pr, trigger.defaultBranch) || found.has(pr.number)) continue;
      // Containing a pushed commit is not enough (a force push of an old PR's head contains it): the merge must be pushed.
      if (pr.mergeCommitSha !== null && ids.includes(pr.mergeCommitSha)) found.set(pr.number, pr);
    }
  }
  const order = (pr: PullRequestInfo) => (pr.mergeCommitSha ? ids.indexOf(pr.mergeCommitSha) : ids.length);
  return [...found.values()].sort((a, b) => order(a) - order(b) || a.number - b.number);
}
