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
  /** The base commit the PR was opened against (its config holds the rules the PR is reviewed under). */
  baseSha?: string;
  /** GitHub's count of changed files (`changed_files`); the files list stops at MAX_PULL_REQUEST_FILES. */
  changedFiles?: number;
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
  /**
   * All changed files, paginated. Throws TooManyFilesError when the PR changes more than GitHub lists
   * (MAX_PULL_REQUEST_FILES): the files past the limit could be runbooks nobody checked.
   */
  listPullRequestFiles(number: number): Promise<ChangedFile[]>;
  /**
   * The file's raw bytes at a commit (any size GitHub serves); null when it does not exist there.
   * Throws NotAFileError for a directory, a symlink or a submodule.
   */
  readFile(path: string, ref: string): Promise<Uint8Array | null>;
  /** Oldest first. */
  listReviews(number: number): Promise<Review[]>;
  /** Oldest first; GitHub lists at most MAX_LISTED_COMMITS, so a list that long may be incomplete. */
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
   * there is none. The merge phase reads the plan comment's digest marker with it.
   */
  findStickyComment(issueNumber: number, marker: string): Promise<(CommentRef & { body: string }) | null>;
  setCommitStatus(sha: string, status: { state: CommitState; context: string; description: string; targetUrl?: string }): Promise<void>;
}

/** GitHub lists at most this many files of a pull request. */
export const MAX_PULL_REQUEST_FILES = 3000;
/** GitHub lists at most this many commits of a pull request (GET /pulls/{n}/commits). */
export const MAX_LISTED_COMMITS = 250;

/** The PR changes more files than GitHub lists, so some could not be checked. A refusal, not an outage. */
export class TooManyFilesError extends Error {
  readonly reasonCode = 'too-many-files';
  constructor(
    readonly pullRequest: number,
    readonly changedFiles: number,
  ) {
    super(
      `#${pullRequest} changes ${changedFiles.toLocaleString('en-US')} files, but GitHub lists only the first ${MAX_PULL_REQUEST_FILES.toLocaleString('en-US')}, ` +
        'so opsgate cannot see every runbook in it. Split the pull request so that each changes at most 3,000 files.',
    );
    this.name = 'TooManyFilesError';
  }
}

/** The path exists but is not a regular file (directory, symlink, submodule). */
export class NotAFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is a ${kind}, not a regular file`);
    this.name = 'NotAFileError';
  }
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
