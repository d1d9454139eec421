// Reads what the approval policy decides on: reviews, the PR's commits, and — only for reviewers who
// currently approve — team membership or repository permission. Fails closed: any error other than an
// unreadable team (which the policy weighs, see approvals.ts) is thrown.
import { TeamMembershipUnreadableError, type GitHubGateway, type PullRequestInfo, type RepoPermission } from '../ports/github.js';
import { latestStances, needsRepoPermission, teamsOf, type ApprovalSnapshot, type EffectiveRequirement } from './approvals.js';

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
