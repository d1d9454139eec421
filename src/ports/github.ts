// The GitHub port: exactly what the PR and merge phases need, in their words. Implemented over Octokit in
// src/adapters/github/; tests run that adapter against a local stand-in of the REST API.
//
// Fail closed: every method throws when GitHub does not answer or the token cannot read what is asked,
// except where the return type says "unknowable" explicitly.

export interface PullRequestInfo {
  number: number;
  author: string;
  headSha: string;
  baseRef: string;
  /** Set for merged PRs. */
  mergedAt: string | null;
  mergeCommitSha: string | null;
  /** True when the head repository is a fork. */
  fromFork: boolean;
  htmlUrl: string;
}

export type ChangedFileStatus = 'added' | 'modified' | 'removed' | 'renamed' | 'copied' | 'changed' | 'unchanged';

export interface ChangedFile {
  path: string;
  status: ChangedFileStatus;
  previousPath?: string;
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface Review {
  id: number;
  user: string;
  state: ReviewState;
  /** The head commit the review was given on. */
  commitId: string;
  submittedAt: string | null;
}

export interface CommitPeople {
  sha: string;
  /** GitHub logins; null when the git identity is not linked to an account. */
  author: string | null;
  committer: string | null;
}

export type TeamMembership = 'member' | 'not-member';
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface CommentRef {
  id: number;
  url: string;
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface GitHubGateway {
  getPullRequest(number: number): Promise<PullRequestInfo>;
  /** PRs that contain this commit (GET /commits/{sha}/pulls). */
  listPullRequestsForCommit(sha: string): Promise<PullRequestInfo[]>;
  /** All changed files, paginated up to GitHub's 3,000-file limit. */
  listPullRequestFiles(number: number): Promise<ChangedFile[]>;
  /** File text at a commit; null when the file does not exist there. */
  readFile(path: string, ref: string): Promise<string | null>;
  /** Oldest first. */
  listReviews(number: number): Promise<Review[]>;
  listPullRequestCommits(number: number): Promise<CommitPeople[]>;
  /** Throws TeamMembershipUnreadableError when the token cannot read the org's teams. */
  getTeamMembership(org: string, teamSlug: string, user: string): Promise<TeamMembership>;
  getRepoPermission(user: string): Promise<RepoPermission>;
  /**
   * Creates or updates the one comment carrying `marker` written by this token's user; deletes duplicates.
   * Throws CommentForbiddenError when the token cannot comment (fork PRs, read-only tokens).
   */
  upsertStickyComment(issueNumber: number, marker: string, body: string): Promise<CommentRef>;
  /**
   * The body of the one comment carrying `marker` written by this token's user (same match as
   * upsertStickyComment: marker AND author, so a comment typed by a PR participant is never trusted); null when
   * there is none. The merge phase reads the plan comment's digest marker with it. (Added by the merge phase.)
   */
  findStickyComment?(issueNumber: number, marker: string): Promise<(CommentRef & { body: string }) | null>;
  setCommitStatus(sha: string, status: { state: CommitState; context: string; description: string; targetUrl?: string }): Promise<void>;
}

export class TeamMembershipUnreadableError extends Error {
  constructor(
    readonly team: string,
    message: string,
  ) {
    super(message);
    this.name = 'TeamMembershipUnreadableError';
  }
}

export class CommentForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommentForbiddenError';
  }
}
