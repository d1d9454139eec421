// GitHubGateway over Octokit (REST). Only this file knows GitHub's wire shapes; the use cases see the port.
// Fail closed: any unexpected status is thrown; 404 is turned into "absent" only where the port says so.
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import {
  CommentForbiddenError,
  TeamMembershipUnreadableError,
  type ChangedFile,
  type CommentRef,
  type CommitPeople,
  type CommitState,
  type GitHubGateway,
  type PullRequestInfo,
  type RepoPermission,
  type Review,
  type ReviewState,
  type TeamMembership,
} from '../../ports/github.js';

export type Octokit = ReturnType<typeof getOctokit>;

/** GitHub stops listing a PR's files at 3,000. */
export const MAX_PULL_REQUEST_FILES = 3000;

export interface OctokitGatewayOptions {
  token: string;
  /** GITHUB_API_URL, e.g. https://api.github.com or a loopback stand-in. */
  apiUrl: string;
  /** Token used only for team membership (org "Members: read"); defaults to `token`. */
  membersToken?: string;
  /** Logs throttling/retry notices. */
  log?: (message: string) => void;
}

/** The only factory that creates Octokit clients: retry + throttling, baseUrl from the runner. */
export function createOctokit(token: string, apiUrl: string, log: (m: string) => void = () => {}): Octokit {
  return getOctokit(
    token,
    {
      baseUrl: apiUrl.replace(/\/+$/, ''),
      retry: { doNotRetry: [400, 401, 403, 404, 409, 422] },
      throttle: {
        onRateLimit: (after: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
          log(`GitHub rate limit on ${options.method} ${options.url}; retrying in ${after}s.`);
          return retryCount < 2;
        },
        onSecondaryRateLimit: (after: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
          log(`GitHub secondary rate limit on ${options.method} ${options.url}; retrying in ${after}s.`);
          return retryCount < 1;
        },
      },
    } as never,
    retry as never,
    throttling as never,
  );
}

export function createGitHubGateway(owner: string, repo: string, options: OctokitGatewayOptions): GitHubGateway {
  const octokit = createOctokit(options.token, options.apiUrl, options.log);
  const members = options.membersToken ? createOctokit(options.membersToken, options.apiUrl, options.log) : octokit;
  return new OctokitGateway(octokit, owner, repo, members);
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : undefined;
}

interface RawPull {
  number: number;
  user: { login: string } | null;
  head: { sha: string; repo: { full_name: string; fork?: boolean } | null };
  base: { ref: string; repo: { full_name: string } };
  merged_at: string | null;
  merge_commit_sha: string | null;
  html_url: string;
}

function toPullRequest(raw: RawPull): PullRequestInfo {
  const headRepo = raw.head.repo;
  return {
    number: raw.number,
    author: raw.user?.login ?? '',
    headSha: raw.head.sha,
    baseRef: raw.base.ref,
    mergedAt: raw.merged_at,
    mergeCommitSha: raw.merge_commit_sha,
    // A deleted fork has no head repo: treat as a fork (least trust).
    fromFork: headRepo === null || headRepo.full_name !== raw.base.repo.full_name,
    htmlUrl: raw.html_url,
  };
}

export class OctokitGateway implements GitHubGateway {
  private login?: Promise<string>;

  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
    private readonly membersOctokit: Octokit = octokit,
  ) {}

  private get where() {
    return { owner: this.owner, repo: this.repo };
  }

  async getPullRequest(number: number): Promise<PullRequestInfo> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.where, pull_number: number });
    return toPullRequest(data as unknown as RawPull);
  }

  async listPullRequestsForCommit(sha: string): Promise<PullRequestInfo[]> {
    const data = await this.octokit.paginate(this.octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
      ...this.where,
      commit_sha: sha,
      per_page: 100,
    });
    return (data as unknown as RawPull[]).map(toPullRequest);
  }

  async listPullRequestFiles(number: number): Promise<ChangedFile[]> {
    const files: ChangedFile[] = [];
    const pages = this.octokit.paginate.iterator(this.octokit.rest.pulls.listFiles, { ...this.where, pull_number: number, per_page: 100 });
    for await (const page of pages) {
      for (const f of page.data) {
        files.push({ path: f.filename, status: f.status as ChangedFile['status'], ...(f.previous_filename ? { previousPath: f.previous_filename } : {}) });
      }
      if (files.length >= MAX_PULL_REQUEST_FILES) break;
    }
    return files.slice(0, MAX_PULL_REQUEST_FILES);
  }

  async readFile(path: string, ref: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ ...this.where, path, ref });
      if (Array.isArray(data) || data.type !== 'file') throw new Error(`${path} at ${ref.slice(0, 7)} is not a file.`);
      if ('content' in data && data.encoding === 'base64' && data.content) return Buffer.from(data.content, 'base64').toString('utf8');
      // Files over 1 MB come back without content: ask for the raw bytes.
      const raw = await this.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...this.where,
        path,
        ref,
        headers: { accept: 'application/vnd.github.raw+json' },
      });
      return String(raw.data);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async listReviews(number: number): Promise<Review[]> {
    const data = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...this.where, pull_number: number, per_page: 100 });
    return data.map((r) => ({
      id: r.id,
      user: r.user?.login ?? '',
      state: r.state as ReviewState,
      commitId: r.commit_id ?? '',
      submittedAt: r.submitted_at ?? null,
    }));
  }

  async listPullRequestCommits(number: number): Promise<CommitPeople[]> {
    const data = await this.octokit.paginate(this.octokit.rest.pulls.listCommits, { ...this.where, pull_number: number, per_page: 100 });
    return data.map((c) => ({ sha: c.sha, author: c.author?.login ?? null, committer: c.committer?.login ?? null }));
  }

  async getTeamMembership(org: string, teamSlug: string, user: string): Promise<TeamMembership> {
    try {
      const { data } = await this.membersOctokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: teamSlug, username: user });
      return data.state === 'active' ? 'member' : 'not-member';
    } catch (error) {
      const status = statusOf(error);
      // 404 means "not a member" only when the token can see the team at all.
      if (status === 404 && (await this.canSeeTeam(org, teamSlug))) return 'not-member';
      if (status === 404 || status === 403 || status === 401) {
        throw new TeamMembershipUnreadableError(
          `@${org}/${teamSlug}`,
          `the token cannot read team @${org}/${teamSlug} (HTTP ${status})`,
        );
      }
      throw error;
    }
  }

  private async canSeeTeam(org: string, teamSlug: string): Promise<boolean> {
    try {
      await this.membersOctokit.rest.teams.getByName({ org, team_slug: teamSlug });
      return true;
    } catch (error) {
      if ([401, 403, 404].includes(statusOf(error) ?? 0)) return false;
      throw error;
    }
  }

  async getRepoPermission(user: string): Promise<RepoPermission> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.where, username: user });
      const role = (data as { role_name?: string }).role_name;
      if (role === 'maintain' || role === 'triage') return role;
      return (data.permission as RepoPermission) ?? 'none';
    } catch (error) {
      if (statusOf(error) === 404) return 'none';
      throw error;
    }
  }

  private tokenLogin(): Promise<string> {
    // GITHUB_TOKEN cannot call GET /user; its comments are written by github-actions[bot].
    this.login ??= this.octokit.rest.users.getAuthenticated().then(
      ({ data }) => data.login,
      (error: unknown) => {
        if ([401, 403].includes(statusOf(error) ?? 0)) return 'github-actions[bot]';
        throw error;
      },
    );
    return this.login;
  }

  private async ownComments(issueNumber: number, marker: string) {
    const [login, comments] = await Promise.all([
      this.tokenLogin(),
      this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.where, issue_number: issueNumber, per_page: 100 }),
    ]);
    return comments.filter((c) => c.user?.login === login && (c.body ?? '').includes(marker)).sort((a, b) => a.id - b.id);
  }

  async findStickyComment(issueNumber: number, marker: string): Promise<(CommentRef & { body: string }) | null> {
    const [first] = await this.ownComments(issueNumber, marker);
    return first ? { id: first.id, url: first.html_url, body: first.body ?? '' } : null;
  }

  async upsertStickyComment(issueNumber: number, marker: string, body: string): Promise<CommentRef> {
    try {
      const existing = await this.ownComments(issueNumber, marker);
      const [keep, ...extra] = existing;
      let ref: CommentRef;
      if (!keep) {
        const { data } = await this.octokit.rest.issues.createComment({ ...this.where, issue_number: issueNumber, body });
        ref = { id: data.id, url: data.html_url };
      } else {
        if (keep.body !== body) await this.octokit.rest.issues.updateComment({ ...this.where, comment_id: keep.id, body });
        ref = { id: keep.id, url: keep.html_url };
      }
      return await this.keepOne(issueNumber, marker, ref, body, extra.map((c) => c.id));
    } catch (error) {
      const status = statusOf(error);
      if (status === 403 || status === 401) {
        throw new CommentForbiddenError(`the token cannot comment on #${issueNumber} (HTTP ${status}; fork pull requests get a read-only token)`);
      }
      throw error;
    }
  }

  /** Two runs racing can both create a comment: re-list after writing, keep the oldest, delete the rest. */
  private async keepOne(issueNumber: number, marker: string, written: CommentRef, body: string, known: number[]): Promise<CommentRef> {
    const all = await this.ownComments(issueNumber, marker);
    const oldest = all[0];
    const survivor: CommentRef = oldest ? { id: oldest.id, url: oldest.html_url } : written;
    const doomed = new Set([...known, ...all.map((c) => c.id)].filter((id) => id !== survivor.id));
    for (const id of doomed) {
      try {
        await this.octokit.rest.issues.deleteComment({ ...this.where, comment_id: id });
      } catch (error) {
        if (statusOf(error) !== 404) throw error; // the other run deleted it already
      }
    }
    if (oldest && oldest.id !== written.id && oldest.body !== body) {
      await this.octokit.rest.issues.updateComment({ ...this.where, comment_id: oldest.id, body });
    }
    return survivor;
  }

  async setCommitStatus(sha: string, status: { state: CommitState; context: string; description: string; targetUrl?: string }): Promise<void> {
    const description = status.description.length > 140 ? `${status.description.slice(0, 139)}…` : status.description;
    await this.octokit.rest.repos.createCommitStatus({
      ...this.where,
      sha,
      state: status.state,
      context: status.context,
      description,
      ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
    });
  }
}
