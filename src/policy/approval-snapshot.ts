// Reads what the approval policy decides on: reviews, the PR's commits, and — only for reviewers who
// currently approve — team membership or repository permission; and, for PRs that change the config, the
// approval rules at the base commit. Fails closed: any error other than an unreadable team (which the policy
// weighs, see approvals.ts) is thrown.
import { TeamMembershipUnreadableError, type GitHubGateway, type PullRequestInfo, type RepoPermission } from '../ports/github.js';
import { loadRepoConfig } from '../config/load-repo-config.js';
import { latestStances, needsRepoPermission, teamsOf, type ApprovalRules, type ApprovalSnapshot, type EffectiveRequirement } from './approvals.js';
import { DEFAULT_APPROVAL_RULES } from './stricter-policy.js';

export async function fetchApprovalSnapshot(
  github: GitHubGateway,
  pr: PullRequestInfo,
  requirement: EffectiveRequirement,
): Promise<ApprovalSnapshot> {
  const [reviews, commits] = await Promise.all([github.listReviews(pr.number), github.listPullRequestCommits(pr.number)]);
  const approvers = [...latestStances(reviews).values()].filter((s) => s.state === 'APPROVED').map((s) => s.review.user);

  const teams: ApprovalSnapshot['teams'] = {};
  for (const team of teamsOf(requirement)) teams[team] = await readTeam(github, team, approvers);

  const permissions: Record<string, RepoPermission> = {};
  if (needsRepoPermission(requirement)) {
    for (const login of approvers) permissions[login] = await github.getRepoPermission(login);
  }
  return { pullRequest: pr, reviews, commits, teams, permissions };
}

async function readTeam(github: GitHubGateway, team: string, logins: string[]): Promise<ApprovalSnapshot['teams'][string]> {
  const [org, slug] = team.slice(1).split('/', 2) as [string, string];
  const members: string[] = [];
  try {
    for (const login of logins) {
      if ((await github.getTeamMembership(org, slug, login)) === 'member') members.push(login);
    }
  } catch (error) {
    if (error instanceof TeamMembershipUnreadableError) return { unreadable: error.message };
    throw error;
  }
  return { members };
}

/** The approval rules a PR that changes the config is held to, besides its own (stricter-policy.ts). */
export interface BaseApprovalRules {
  rules: ApprovalRules;
  /** For the plan comment: where the rules came from. */
  note: string;
}

/**
 * The repo config's approval rules at the PR's base commit. Without a valid config there (the PR adds the first
 * one, or the base's is broken), the loader's default applies as the floor: one approval from someone with
 * write access. Read errors are thrown (fail closed).
 */
export async function readBaseApprovalRules(github: GitHubGateway, configPath: string, baseSha: string | undefined): Promise<BaseApprovalRules> {
  const fallback = (why: string): BaseApprovalRules => ({ rules: DEFAULT_APPROVAL_RULES, note: `${why}, so the default (one approval from someone with write access) is the floor` });
  if (!baseSha) return fallback('the base commit is unknown');
  const bytes = await github.readFile(configPath, baseSha);
  if (bytes === null) return fallback(`${configPath} does not exist at the base commit ${baseSha.slice(0, 7)}`);
  const loaded = loadRepoConfig({ path: configPath, bytes });
  if (!loaded.value) return fallback(`${configPath} is not valid at the base commit ${baseSha.slice(0, 7)}`);
  return { rules: loaded.value.policy.approvals, note: `the rules of ${configPath} at the base commit ${baseSha.slice(0, 7)} apply too` };
}
