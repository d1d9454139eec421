// GitHubGateway over Octokit (REST). Only this file knows GitHub's wire shapes; the use cases see the port.
// Fail closed: any unexpected status is thrown; 404 is turned into "absent" only where the port says so.
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import {
  CommentForbiddenError,
  MAX_PULL_REQUEST_FILES,
  NotAFileError,
  TeamMembershipUnreadableError,
  TooManyFilesError,
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

export { MAX_PULL_REQUEST_FILES };

export interface OctokitGatewayOptions {
  token: string;
  /** GITHUB_API_URL, e.g. https://api.github.com or a loopback stand-in. */
  apiUrl: string;
  /** Token used only for team membership (org "Members: read"); defaults to `token`. */
  membersToken?: string;
  /** Logs throttling/retry notices, and how the comment author was learned. */
  log?: (message: string) => void;
  /** Aborts every request in flight (the job was cancelled). */
  signal?: AbortSignal;
  /**
   * GitHub asks integrations to leave about a second between writes; the throttling plugin queues them so
   * (default true). Tests against the loopback stand-in turn the pacing off to stay fast.
   */
  paceWrites?: boolean;
}

/** The only factory that creates Octokit clients: retry + throttling, baseUrl from the runner. */
export function createOctokit(token: string, apiUrl: string, log: (m: string) => void = () => {}, paceWrites = true): Octokit {
  return getOctokit(
    token,
    {
      baseUrl: apiUrl.replace(/\/+$/, ''),
      retry: { doNotRetry: [400, 401, 403, 404, 409, 422] },
      throttle: {
        enabled: paceWrites,
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

export function createGitHubGateway(owner: string, repo: string, options: OctokitGatewayOptions): OctokitGateway {
  const client = (token: string) => withSignal(createOctokit(token, options.apiUrl, options.log, options.paceWrites ?? true), options.signal);
  const octokit = client(options.token);
  const members = options.membersToken ? client(options.membersToken) : octokit;
  return new OctokitGateway(octokit, owner, repo, members, options.log);
}

/**
 * Every request carries the signal (a hook, so the proxy-aware fetch from @actions/github stays in place). Fetch
 * must fail with an AbortError: Octokit passes that through, whereas any other error (the signal's own reason)
 * becomes a "500" that the retry plugin would retry for seconds after the job was cancelled.
 */
function withSignal(octokit: Octokit, signal: AbortSignal | undefined): Octokit {
  if (!signal) return octokit;
  const aborted = new AbortController();
  const forward = () => aborted.abort(new DOMException('The job was cancelled', 'AbortError'));
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  octokit.hook.before('request', (options) => void (options.request = { ...options.request, signal: aborted.signal }));
  return octokit;
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : undefined;
}

interface RawPull {
  number: number;
  user: { login: string } | null;
  head: { sha: string; repo: { full_name: string; fork?: boolean } | null };
  base: { ref: string; sha: string; repo: { full_name: string } };
  /** Only on GET /pulls/{n}, not in lists. */
  changed_files?: number;
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
    baseSha: raw.base.sha,
    ...(typeof raw.changed_files === 'number' ? { changedFiles: raw.changed_files } : {}),
    mergedAt: raw.merged_at,
    mergeCommitSha: raw.merge_commit_sha,
    // A deleted fork has no head repo: treat as a fork (least trust).
    fromFork: headRepo === null || headRepo.full_name !== raw.base.repo.full_name,
    htmlUrl: raw.html_url,
  };
}

interface RawComment {
  id: number;
  body?: string;
  html_url: string;
  user: { login: string; type?: string } | null;
  performed_via_github_app?: { slug?: string } | null;
}

/** Who this token writes comments as: known, or to be learned from the first comment it creates. */
type CommentAuthor = { login: string; adopted?: true } | { unknown: true };

export class OctokitGateway implements GitHubGateway {
  private author?: Promise<CommentAuthor>;

  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
    private readonly membersOctokit: Octokit = octokit,
    private readonly log: (message: string) => void = () => {},
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
    if (files.length < MAX_PULL_REQUEST_FILES) return files;
    // The list stops at 3,000 without saying so: only the PR's own count tells whether files are missing.
    const { changedFiles } = await this.getPullRequest(number);
    if (changedFiles === undefined || changedFiles > MAX_PULL_REQUEST_FILES) throw new TooManyFilesError(number, changedFiles ?? files.length);
    return files.slice(0, MAX_PULL_REQUEST_FILES);
  }

  async readFile(path: string, ref: string): Promise<Uint8Array | null> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ ...this.where, path, ref });
      if (Array.isArray(data)) throw new NotAFileError(path, 'directory');
      if (data.type !== 'file') throw new NotAFileError(path, data.type);
      if (data.encoding === 'base64' && data.content) return new Uint8Array(Buffer.from(data.content, 'base64'));
      if (data.size === 0) return new Uint8Array(0);
      return await this.readRaw(path, ref);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  /** Files over 1 MB come back without content: ask for the raw bytes, unparsed (no UTF-8 decoding here). */
  private async readRaw(path: string, ref: string): Promise<Uint8Array> {
    const raw = await this.octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...this.where,
      path,
      ref,
      headers: { accept: 'application/vnd.github.raw+json' },
      request: { parseSuccessResponseBody: false },
    });
    return new Uint8Array(await new Response(raw.data as unknown as ReadableStream).arrayBuffer());
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

  /**
   * A personal token can say who it is (GET /user). Installation tokens (GITHUB_TOKEN, GitHub App tokens) cannot,
   * and their bot's login depends on the app ("github-actions[bot]", "my-app[bot]"): it is learned from the first
   * comment the token creates, or from an app-written comment carrying the marker (see adoptAuthor).
   */
  private commentAuthor(): Promise<CommentAuthor> {
    this.author ??= this.octokit.rest.users.getAuthenticated().then(
      ({ data }): CommentAuthor => ({ login: data.login }),
      (error: unknown): CommentAuthor => {
        if ([401, 403].includes(statusOf(error) ?? 0)) return { unknown: true };
        throw error;
      },
    );
    return this.author;
  }

  private learnAuthor(login: string): void {
    this.author = Promise.resolve({ login });
  }

  private async markedComments(issueNumber: number, marker: string): Promise<RawComment[]> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.where, issue_number: issueNumber, per_page: 100 });
    return (comments as RawComment[]).filter((c) => (c.body ?? '').includes(marker)).sort((a, b) => a.id - b.id);
  }

  /**
   * With the author unknown, only a comment written through a GitHub App (a bot, `performed_via_github_app` set)
   * can be ours; a person who pastes the marker never qualifies. Adopted only when exactly one such author wrote
   * marked comments, and said so in the log; otherwise the author stays unknown.
   */
  private adoptAuthor(comments: readonly RawComment[], marker: string): CommentAuthor {
    const bots = new Set(comments.filter((c) => c.user?.type === 'Bot' && c.performed_via_github_app).map((c) => c.user!.login));
    if (bots.size !== 1) {
      if (bots.size > 1) this.log(`Comments with ${marker} were written by several apps (${[...bots].join(', ')}); this token cannot tell which is its own (GET /user is not available to installation tokens).`);
      return { unknown: true };
    }
    const [login] = [...bots] as [string];
    this.log(`This token cannot call GET /user (an installation token); taking the existing comment by ${login} with ${marker} as its own.`);
    return { login, adopted: true };
  }

  private async ownComments(issueNumber: number, marker: string): Promise<{ author: CommentAuthor; own: RawComment[] }> {
    const [known, comments] = await Promise.all([this.commentAuthor(), this.markedComments(issueNumber, marker)]);
    const author = 'login' in known ? known : this.adoptAuthor(comments, marker);
    const own = 'login' in author ? comments.filter((c) => c.user?.login === author.login) : [];
    return { author, own };
  }

  async findStickyComment(issueNumber: number, marker: string): Promise<(CommentRef & { body: string }) | null> {
    const [first] = (await this.ownComments(issueNumber, marker)).own;
    return first ? { id: first.id, url: first.html_url, body: first.body ?? '' } : null;
  }

  async upsertStickyComment(issueNumber: number, marker: string, body: string): Promise<CommentRef> {
    try {
      const { author, own } = await this.ownComments(issueNumber, marker);
      const [keep, ...extra] = own;
      if (keep && 'login' in author && (await this.updateOwn(keep, body, author))) {
        return await this.keepOne(issueNumber, marker, { id: keep.id, url: keep.html_url }, body, extra.map((c) => c.id));
      }
      const { data } = await this.octokit.rest.issues.createComment({ ...this.where, issue_number: issueNumber, body });
      if (data.user?.login) this.learnAuthor(data.user.login);
      return await this.keepOne(issueNumber, marker, { id: data.id, url: data.html_url }, body, []);
    } catch (error) {
      const status = statusOf(error);
      if (status === 403 || status === 401) {
        throw new CommentForbiddenError(`the token cannot comment on #${issueNumber} (HTTP ${status}; fork pull requests get a read-only token)`);
      }
      throw error;
    }
  }

  /** False when an adopted comment turns out not to be this token's to edit (then a new one is created). */
  private async updateOwn(comment: RawComment, body: string, author: { login: string; adopted?: true }): Promise<boolean> {
    if (comment.body === body) return true;
    try {
      await this.octokit.rest.issues.updateComment({ ...this.where, comment_id: comment.id, body });
      return true;
    } catch (error) {
      if (!author.adopted || statusOf(error) !== 403) throw error;
      this.log(`The comment by ${author.login} is not this token's to edit; writing a new one.`);
      return false;
    }
  }

  /** Two runs racing can both create a comment: re-list after writing, keep the oldest, delete the rest. */
  private async keepOne(issueNumber: number, marker: string, written: CommentRef, body: string, known: number[]): Promise<CommentRef> {
    const all = (await this.ownComments(issueNumber, marker)).own;
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
