// A loopback stand-in for the GitHub REST API, for integration and e2e tests of the GitHub gateway, the PR
// phase and the merge phase. Every request is checked against GitHub's OpenAPI description, and so is every
// reply (github-standin/openapi-check.ts); replies are built from GitHub's documented examples, so they carry
// every field GitHub sends. A request GitHub would not accept is answered 500 and recorded in `violations` —
// tests must assert `standin.violations` is empty (see `assertClean()`).
//
// GitHub's limits are enforced as GitHub enforces them: a comment body over 65,536 characters and a status
// description over 140 are answered 422; file lists stop at 3,000 and commit lists at 250; files over 1 MiB
// come without `content` and must be fetched raw (Accept: application/vnd.github.raw+json).
//
// Seeding API (all state is plain data; mutate it freely between requests):
//   const gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });   // listens on 127.0.0.1:<free port>
//   gh.url                                   -> base URL for GITHUB_API_URL / apiUrl
//   gh.addToken('t1', { login: 'opsgate-bot', comment: true, statuses: true, teams: true })
//        comment=false -> 403 on issue comment writes (fork PRs / read-only tokens); statuses=false -> 403 on
//        POST statuses; teams=false -> 403 on team reads; `user: false` -> 403 on GET /user (installation
//        tokens: GITHUB_TOKEN, GitHub Apps); a login ending in [bot] writes comments as that app's bot.
//   gh.addPullRequest({ number, author, headSha, baseSha?, baseRef?, fork?, mergedAt?, mergeCommitSha?,
//        files?: [{path,status,previousPath?}], changedFiles? })   (changedFiles defaults to files.length)
//   gh.setFile(ref, path, text | bytes)      -> contents at a commit sha or branch name
//   gh.setSymlink(ref, path, target)         -> a symlink whose target is outside the repository
//   gh.addReview(prNumber, { user, state, commitId, submittedAt? })
//   gh.addCommit(prNumber, { sha, author, committer })  /  gh.linkCommit(sha, prNumber) for GET /commits/{sha}/pulls
//   gh.addTeamMember('org', 'slug', 'login')   gh.setPermission('login', 'write')
//   gh.onRequest = (req) => { ... }          -> runs before each request is answered (to interleave events, or
//        to answer with an error: return { status: 502, message: 'Bad Gateway' })
// Recorded: gh.requests ({method, path, operationId, token, body}), gh.comments (live issue comments),
//   gh.statuses (every status created, in order), gh.violations; gh.latestStatus(sha, context).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAgainstOpenApi, checkResponse, documentedExample, type MatchedOperation } from './github-standin/openapi-check.js';

export interface StandinToken {
  login: string;
  comment?: boolean;
  statuses?: boolean;
  teams?: boolean;
  /** GET /user allowed (false for installation tokens: GITHUB_TOKEN, GitHub App tokens). */
  user?: boolean;
}
export interface StandinFile {
  path: string;
  status: 'added' | 'modified' | 'removed' | 'renamed';
  previousPath?: string;
}
export interface StandinPull {
  number: number;
  author: string;
  headSha: string;
  baseSha?: string;
  baseRef?: string;
  fork?: boolean;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  files?: StandinFile[];
  /** GitHub's `changed_files`; defaults to the number of files. */
  changedFiles?: number;
}
export interface StandinReview {
  id: number;
  user: string;
  state: string;
  commitId: string;
  submittedAt?: string;
}
export interface StandinComment {
  id: number;
  issue: number;
  user: string;
  body: string;
  createdAt: string;
  /** Slug of the GitHub App the comment was written through (bots); absent for people. */
  app?: string;
}
export interface StandinStatus {
  sha: string;
  state: string;
  context: string;
  description?: string;
  target_url?: string;
  token: string;
}
export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  token?: string;
  body?: unknown;
}
type Content = { bytes: Uint8Array } | { symlink: string };
export interface ForcedError {
  status: number;
  message: string;
}

/** GitHub's limits, as the real API applies them. */
export const GITHUB_LIMITS = { files: 3000, commits: 250, commentBody: 65_536, statusDescription: 140, inlineContentBytes: 1024 * 1024 };

export interface GitHubStandin {
  url: string;
  owner: string;
  repo: string;
  tokens: Map<string, StandinToken>;
  pulls: Map<number, StandinPull>;
  files: Map<string, Content>;
  reviews: Map<number, StandinReview[]>;
  commits: Map<number, { sha: string; author: string | null; committer: string | null }[]>;
  commitPulls: Map<string, number[]>;
  teams: Map<string, Set<string>>;
  permissions: Map<string, string>;
  comments: StandinComment[];
  statuses: StandinStatus[];
  requests: RecordedRequest[];
  violations: string[];
  /** Runs before each request is answered; returning { status, message } answers with that error instead. */
  onRequest?: (request: RecordedRequest) => void | ForcedError | Promise<void | ForcedError>;
  addToken(token: string, t: StandinToken): void;
  addPullRequest(pr: StandinPull): void;
  setFile(ref: string, path: string, content: string | Uint8Array): void;
  setSymlink(ref: string, path: string, target: string): void;
  addReview(pr: number, r: Omit<StandinReview, 'id'>): StandinReview;
  addCommit(pr: number, c: { sha: string; author: string | null; committer: string | null }): void;
  linkCommit(sha: string, pr: number): void;
  addTeamMember(org: string, slug: string, login: string): void;
  setPermission(login: string, permission: string): void;
  /** The newest status with this context on this commit (what GitHub shows and branch protection reads). */
  latestStatus(sha: string, context?: string): StandinStatus | undefined;
  /** Throws when any request broke the OpenAPI contract or was not implemented. */
  assertClean(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: { resource: string; field: string; code: string; message: string }[],
  ) {
    super(message);
  }
}

function tooLong(resource: string, field: string, max: number): HttpError {
  const message = `${field} is too long (maximum is ${max} characters)`;
  return new HttpError(422, 'Validation Failed', [{ resource, field, code: 'custom', message }]);
}

const T = {
  pull: '/repos/{owner}/{repo}/pulls/{pull_number}',
  files: '/repos/{owner}/{repo}/pulls/{pull_number}/files',
  reviews: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
  commits: '/repos/{owner}/{repo}/pulls/{pull_number}/commits',
  content: '/repos/{owner}/{repo}/contents/{path}',
  comments: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
  statuses: '/repos/{owner}/{repo}/statuses/{sha}',
  team: '/orgs/{org}/teams/{team_slug}',
  membership: '/orgs/{org}/teams/{team_slug}/memberships/{username}',
  permission: '/repos/{owner}/{repo}/collaborators/{username}/permission',
};

/** GitHub's documented example replies, fixed where GitHub's own example misses a required field. */
function examples() {
  const first = <X>(list: unknown) => (list as X[])[0]!;
  const pull = documentedExample('get', T.pull, 200) as Record<string, unknown>;
  pull.requested_teams = [];
  const team = documentedExample('get', T.team, 200) as Record<string, unknown> & { organization: Record<string, unknown> };
  team.type = 'organization';
  team.organization.archived_at = null;
  const permission = documentedExample('get', T.permission, 200) as { user: Record<string, unknown> };
  permission.user.role_name = 'write';
  return {
    pull,
    file: first<Record<string, unknown>>(documentedExample('get', T.files, 200)),
    review: first<Record<string, unknown>>(documentedExample('get', T.reviews, 200)),
    commit: first<Record<string, unknown>>(documentedExample('get', T.commits, 200)),
    content: documentedExample('get', T.content, 200, 'response-if-content-is-a-file') as Record<string, unknown>,
    comment: documentedExample('post', T.comments, 201) as Record<string, unknown>,
    app: documentedExample('get', '/app', 200) as Record<string, unknown>,
    status: documentedExample('post', T.statuses, 201) as Record<string, unknown>,
    user: documentedExample('get', '/user', 200, 'response-with-public-profile-information') as Record<string, unknown>,
    team,
    membership: documentedExample('get', T.membership, 200) as Record<string, unknown>,
    permission,
  };
}
type Examples = ReturnType<typeof examples>;

/** A copy of `example` with `fields` set (nested objects merged, so a reply keeps every documented field). */
function like<X>(example: unknown, fields: Record<string, unknown>): X {
  const out = structuredClone(example) as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) {
    const base = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && base && typeof base === 'object' ? like(base, v as Record<string, unknown>) : v;
  }
  return out as X;
}

export async function startGitHubStandin(options: { owner?: string; repo?: string } = {}): Promise<GitHubStandin> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'ops';
  const ex: Examples = examples();
  let nextId = 1000;
  const state = {
    owner,
    repo,
    url: '',
    tokens: new Map<string, StandinToken>(),
    pulls: new Map<number, StandinPull>(),
    files: new Map<string, Content>(),
    reviews: new Map<number, StandinReview[]>(),
    commits: new Map<number, { sha: string; author: string | null; committer: string | null }[]>(),
    commitPulls: new Map<string, number[]>(),
    teams: new Map<string, Set<string>>(),
    permissions: new Map<string, string>(),
    comments: [] as StandinComment[],
    statuses: [] as StandinStatus[],
    requests: [] as RecordedRequest[],
    violations: [] as string[],
    onRequest: undefined as GitHubStandin['onRequest'],
  };
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });

  function violation(recorded: RecordedRequest, error: unknown): string {
    const message = `${recorded.method} ${recorded.path}: ${error instanceof Error ? error.message : String(error)}`;
    state.violations.push(message);
    return message;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, token: auth };
    state.requests.push(recorded);
    let op: MatchedOperation | undefined;
    try {
      recorded.body = raw.length ? JSON.parse(raw) : undefined;
      op = checkAgainstOpenApi(recorded.method, url.pathname, url.searchParams, recorded.body);
      recorded.operationId = op.operationId;
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      if (perPage > 100) throw new Error(`per_page=${perPage}: GitHub allows at most 100`);
      const forced = await state.onRequest?.(recorded);
      if (forced) throw new HttpError(forced.status, forced.message);
      const token = auth ? state.tokens.get(auth) : undefined;
      if (!token) throw new HttpError(401, 'Bad credentials');
      const wantsRaw = /application\/vnd\.github\.raw/.test(req.headers.accept ?? '');
      const reply = route(op.operationId, op.params, url, (recorded.body ?? {}) as Record<string, string>, token, auth!, wantsRaw);
      if (reply.bytes) return sendBytes(res, reply.bytes);
      const { status, data } = reply.list ? page(url, reply.list, res) : { status: reply.status ?? 200, data: reply.data };
      if (status !== 204) checkResponse(op, status, data);
      return send(res, status, data);
    } catch (error) {
      if (error instanceof HttpError) {
        const data = { message: error.message, documentation_url: 'https://docs.github.com/rest', ...(error.errors ? { errors: error.errors } : {}) };
        if (op) {
          try {
            checkResponse(op, error.status, data);
          } catch (bad) {
            violation(recorded, bad);
          }
        }
        return send(res, error.status, data);
      }
      const message = violation(recorded, error);
      return send(res, 500, { message: `github-standin: ${message}` });
    }
  }

  interface Reply {
    status?: number;
    data?: unknown;
    list?: unknown[];
    bytes?: Uint8Array;
  }

  function pullJson(pr: StandinPull) {
    const full = `${owner}/${repo}`;
    const headFull = pr.fork ? `${pr.author}/${repo}` : full;
    return like(ex.pull, {
      number: pr.number,
      state: pr.mergedAt ? 'closed' : 'open',
      user: { login: pr.author, type: 'User' },
      head: { sha: pr.headSha, ref: `pr-${pr.number}`, repo: { full_name: headFull, fork: !!pr.fork, name: repo } },
      base: { ref: pr.baseRef ?? 'main', sha: pr.baseSha ?? '0'.repeat(40), repo: { full_name: full, name: repo } },
      merged_at: pr.mergedAt ?? null,
      merged: !!pr.mergedAt,
      merge_commit_sha: pr.mergeCommitSha ?? null,
      html_url: `https://github.com/${full}/pull/${pr.number}`,
      changed_files: pr.changedFiles ?? pr.files?.length ?? 0,
    });
  }

  function pull(n: string): StandinPull {
    const pr = state.pulls.get(Number(n));
    if (!pr) throw new HttpError(404, 'Not Found');
    return pr;
  }

  function commentJson(c: StandinComment) {
    const bot = c.user.endsWith('[bot]');
    return like(ex.comment, {
      id: c.id,
      body: c.body,
      user: { login: c.user, id: 2, type: bot ? 'Bot' : 'User' },
      created_at: c.createdAt,
      updated_at: c.createdAt,
      html_url: `https://github.com/${owner}/${repo}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `https://api.github.com/repos/${owner}/${repo}/issues/${c.issue}`,
      performed_via_github_app: c.app ? like(ex.app, { slug: c.app, name: c.app }) : null,
    });
  }

  function statusJson(s: StandinStatus) {
    return like(ex.status, { id: nextId++, state: s.state, context: s.context, description: s.description ?? null, target_url: s.target_url ?? null });
  }

  function contentReply(path: string, ref: string, wantsRaw: boolean): Reply {
    const found = state.files.get(`${ref}:${path}`);
    if (!found) throw new HttpError(404, 'Not Found');
    const name = path.split('/').pop();
    if ('symlink' in found) return { data: { type: 'symlink', target: found.symlink, size: found.symlink.length, name, path, sha: 'f'.repeat(40), url: '', git_url: null, html_url: null, download_url: null, _links: { self: '', git: null, html: null } } };
    if (wantsRaw) return { bytes: found.bytes };
    // Over 1 MiB, GitHub leaves the content out: callers must ask for the raw media type.
    const inline = found.bytes.byteLength <= GITHUB_LIMITS.inlineContentBytes;
    return { data: like(ex.content, { path, name, size: found.bytes.byteLength, encoding: inline ? 'base64' : 'none', content: inline ? Buffer.from(found.bytes).toString('base64') : '' }) };
  }

  function pullsRoute(operationId: string, p: Record<string, string>): Reply | undefined {
    switch (operationId) {
      case 'pulls/get':
        return { data: pullJson(pull(p.pull_number!)) };
      case 'pulls/list-files':
        return {
          list: (pull(p.pull_number!).files ?? []).slice(0, GITHUB_LIMITS.files).map((f) => {
            const { previous_filename: _drop, ...file } = like<Record<string, unknown>>(ex.file, { filename: f.path, status: f.status, additions: 1, deletions: 0, changes: 1 });
            return f.previousPath ? { ...file, previous_filename: f.previousPath } : file;
          }),
        };
      case 'pulls/list-reviews':
        pull(p.pull_number!);
        return { list: (state.reviews.get(Number(p.pull_number)) ?? []).map((r) => like(ex.review, { id: r.id, user: { login: r.user }, state: r.state, commit_id: r.commitId, submitted_at: r.submittedAt ?? new Date().toISOString() })) };
      case 'pulls/list-commits':
        pull(p.pull_number!);
        return {
          list: (state.commits.get(Number(p.pull_number)) ?? []).slice(0, GITHUB_LIMITS.commits).map((c) => like(ex.commit, { sha: c.sha, author: c.author ? like(ex.commit.author, { login: c.author }) : null, committer: c.committer ? like(ex.commit.committer, { login: c.committer }) : null })),
        };
      case 'repos/list-pull-requests-associated-with-commit':
        return { list: (state.commitPulls.get(p.commit_sha!) ?? []).map((n) => pullJson(pull(String(n)))) };
      default:
        return undefined;
    }
  }

  function commentsRoute(operationId: string, p: Record<string, string>, b: Record<string, string>, token: StandinToken): Reply | undefined {
    if (operationId === 'issues/list-comments') return { list: state.comments.filter((c) => c.issue === Number(p.issue_number)).map(commentJson) };
    if (!['issues/create-comment', 'issues/update-comment', 'issues/delete-comment'].includes(operationId)) return undefined;
    if (!token.comment) throw new HttpError(403, 'Resource not accessible by integration');
    if (b.body !== undefined && b.body.length > GITHUB_LIMITS.commentBody) throw tooLong('IssueComment', 'body', GITHUB_LIMITS.commentBody);
    if (operationId === 'issues/create-comment') {
      const app = token.login.endsWith('[bot]') ? token.login.slice(0, -'[bot]'.length) : undefined;
      const c: StandinComment = { id: nextId++, issue: Number(p.issue_number), user: token.login, body: b.body!, createdAt: new Date().toISOString(), ...(app ? { app } : {}) };
      state.comments.push(c);
      return { status: 201, data: commentJson(c) };
    }
    const i = state.comments.findIndex((x) => x.id === Number(p.comment_id));
    if (i < 0) throw new HttpError(404, 'Not Found');
    if (state.comments[i]!.user !== token.login) throw new HttpError(403, 'Must have admin rights to Repository.');
    if (operationId === 'issues/delete-comment') {
      state.comments.splice(i, 1);
      return { status: 204 };
    }
    state.comments[i]!.body = b.body!;
    return { data: commentJson(state.comments[i]!) };
  }

  function route(operationId: string, p: Record<string, string>, url: URL, b: Record<string, string>, token: StandinToken, tokenValue: string, wantsRaw: boolean): Reply {
    if (p.owner && (p.owner !== owner || p.repo !== repo)) throw new HttpError(404, 'Not Found');
    const reply = pullsRoute(operationId, p) ?? commentsRoute(operationId, p, b, token);
    if (reply) return reply;
    switch (operationId) {
      case 'users/get-authenticated':
        if (token.user === false) throw new HttpError(403, 'Resource not accessible by integration');
        return { data: like(ex.user, { login: token.login, id: 3, type: 'User' }) };
      case 'repos/get-content':
        return contentReply(p.path!, url.searchParams.get('ref') ?? 'main', wantsRaw);
      case 'repos/create-commit-status': {
        if (!token.statuses) throw new HttpError(403, 'Resource not accessible by integration');
        if ((b.description ?? '').length > GITHUB_LIMITS.statusDescription) throw tooLong('Status', 'description', GITHUB_LIMITS.statusDescription);
        const s: StandinStatus = { sha: p.sha!, state: b.state!, context: b.context ?? 'default', description: b.description, target_url: b.target_url, token: tokenValue };
        state.statuses.push(s);
        return { status: 201, data: statusJson(s) };
      }
      case 'repos/list-commit-statuses-for-ref':
        return { list: state.statuses.filter((s) => s.sha === p.ref).reverse().map(statusJson) };
      case 'teams/get-by-name':
        if (!token.teams || !state.teams.has(`${p.org}/${p.team_slug}`)) throw new HttpError(404, 'Not Found');
        return { data: like(ex.team, { slug: p.team_slug, name: p.team_slug }) };
      case 'teams/get-membership-for-user-in-org': {
        if (!token.teams || !state.teams.get(`${p.org}/${p.team_slug}`)?.has(p.username!)) throw new HttpError(404, 'Not Found');
        return { data: like(ex.membership, { state: 'active', role: 'member' }) };
      }
      case 'repos/get-collaborator-permission-level': {
        const perm = state.permissions.get(p.username!) ?? 'none';
        const legacy = perm === 'maintain' ? 'write' : perm === 'triage' ? 'read' : perm;
        return { data: like(ex.permission, { permission: legacy, role_name: perm, user: { login: p.username, role_name: perm } }) };
      }
      default:
        throw new Error(`not implemented by the stand-in: ${operationId}`);
    }
  }

  function page(url: URL, items: unknown[], res: ServerResponse): { status: number; data: unknown[] } {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const n = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (to: number, rel: string) => {
      const u = new URL(url.toString().replace('http://127.0.0.1', state.url));
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(to));
      return `<${u.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (n > 1) links.push(link(1, 'first'), link(n - 1, 'prev'));
    if (n < last) links.push(link(n + 1, 'next'), link(last, 'last'));
    if (links.length) res.setHeader('link', links.join(', '));
    return { status: 200, data: items.slice((n - 1) * perPage, n * perPage) };
  }

  function send(res: ServerResponse, status: number, data?: unknown): void {
    res.statusCode = status;
    if (status === 204) return void res.end();
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(data ?? {}));
  }

  function sendBytes(res: ServerResponse, bytes: Uint8Array): void {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/vnd.github.raw; charset=utf-8');
    res.end(Buffer.from(bytes));
  }

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(state, {
    addToken: (t: string, v: StandinToken) => void state.tokens.set(t, { comment: true, statuses: true, teams: true, ...v }),
    addPullRequest: (pr: StandinPull) => void state.pulls.set(pr.number, pr),
    setFile: (ref: string, path: string, content: string | Uint8Array) =>
      void state.files.set(`${ref}:${path}`, { bytes: typeof content === 'string' ? new TextEncoder().encode(content) : content }),
    setSymlink: (ref: string, path: string, target: string) => void state.files.set(`${ref}:${path}`, { symlink: target }),
    addReview(pr: number, r: Omit<StandinReview, 'id'>) {
      const review = { id: nextId++, ...r };
      state.reviews.set(pr, [...(state.reviews.get(pr) ?? []), review]);
      return review;
    },
    addCommit: (pr: number, c: { sha: string; author: string | null; committer: string | null }) => void state.commits.set(pr, [...(state.commits.get(pr) ?? []), c]),
    linkCommit: (sha: string, pr: number) => void state.commitPulls.set(sha, [...(state.commitPulls.get(sha) ?? []), pr]),
    addTeamMember(org: string, slug: string, login: string) {
      const key = `${org}/${slug}`;
      state.teams.set(key, new Set([...(state.teams.get(key) ?? []), login]));
    },
    setPermission: (login: string, permission: string) => void state.permissions.set(login, permission),
    latestStatus: (sha: string, context = 'opsgate/approval') => state.statuses.filter((s) => s.sha === sha && s.context === context).at(-1),
    assertClean() {
      if (state.violations.length) throw new Error(`github-standin saw requests GitHub would reject:\n${state.violations.join('\n')}`);
    },
    close: () =>
      new Promise<void>((ok, ko) => {
        server.close((e) => (e ? ko(e) : ok()));
        server.closeAllConnections();
      }),
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok, ko) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', ko);
  });
}
