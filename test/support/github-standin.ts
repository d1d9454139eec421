// A loopback stand-in for the GitHub REST API, for integration and e2e tests of the GitHub gateway, the PR
// phase and the merge phase. Every request is checked against GitHub's OpenAPI description
// (github-standin/openapi-check.ts); a request GitHub would not accept is answered 500 and recorded in
// `violations` — tests must assert `standin.violations` is empty (see `assertClean()`).
//
// Seeding API (all state is plain data; mutate it freely between requests):
//   const gh = await startGitHubStandin({ owner: 'acme', repo: 'ops' });   // listens on 127.0.0.1:<free port>
//   gh.url                                   -> base URL for GITHUB_API_URL / apiUrl
//   gh.addToken('t1', { login: 'opsgate-bot', comment: true, statuses: true, teams: true })
//        comment=false -> 403 on issue comment writes (fork PRs / read-only tokens); statuses=false -> 403 on
//        POST statuses; teams=false -> 403 on team reads; `user: false` -> 403 on GET /user (like GITHUB_TOKEN).
//   gh.addPullRequest({ number, author, headSha, baseRef?, fork?, mergedAt?, mergeCommitSha?, files?: [{path,status,previousPath?}] })
//   gh.setFile(ref, path, text)              -> contents at a commit sha or branch name
//   gh.addReview(prNumber, { user, state, commitId, submittedAt? })
//   gh.addCommit(prNumber, { sha, author, committer })  /  gh.linkCommit(sha, prNumber) for GET /commits/{sha}/pulls
//   gh.addTeamMember('org', 'slug', 'login')   gh.setPermission('login', 'write')
// Recorded: gh.requests ({method, path, operationId, token}), gh.comments (live issue comments),
//   gh.statuses (every status created, in order), gh.violations.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAgainstOpenApi } from './github-standin/openapi-check.js';

export interface StandinToken {
  login: string;
  comment?: boolean;
  statuses?: boolean;
  teams?: boolean;
  /** GET /user allowed (false for GITHUB_TOKEN-like installation tokens). */
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
  baseRef?: string;
  fork?: boolean;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  files?: StandinFile[];
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
}

const MAX_FILES = 3000;

export interface GitHubStandin {
  url: string;
  owner: string;
  repo: string;
  tokens: Map<string, StandinToken>;
  pulls: Map<number, StandinPull>;
  files: Map<string, string>;
  reviews: Map<number, StandinReview[]>;
  commits: Map<number, { sha: string; author: string | null; committer: string | null }[]>;
  commitPulls: Map<string, number[]>;
  teams: Map<string, Set<string>>;
  permissions: Map<string, string>;
  comments: StandinComment[];
  statuses: StandinStatus[];
  requests: RecordedRequest[];
  violations: string[];
  addToken(token: string, t: StandinToken): void;
  addPullRequest(pr: StandinPull): void;
  setFile(ref: string, path: string, text: string): void;
  addReview(pr: number, r: Omit<StandinReview, 'id'>): StandinReview;
  addCommit(pr: number, c: { sha: string; author: string | null; committer: string | null }): void;
  linkCommit(sha: string, pr: number): void;
  addTeamMember(org: string, slug: string, login: string): void;
  setPermission(login: string, permission: string): void;
  /** Throws when any request broke the OpenAPI contract or was not implemented. */
  assertClean(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startGitHubStandin(options: { owner?: string; repo?: string } = {}): Promise<GitHubStandin> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'ops';
  let nextId = 1000;
  const state = {
    owner,
    repo,
    url: '',
    tokens: new Map<string, StandinToken>(),
    pulls: new Map<number, StandinPull>(),
    files: new Map<string, string>(),
    reviews: new Map<number, StandinReview[]>(),
    commits: new Map<number, { sha: string; author: string | null; committer: string | null }[]>(),
    commitPulls: new Map<string, number[]>(),
    teams: new Map<string, Set<string>>(),
    permissions: new Map<string, string>(),
    comments: [] as StandinComment[],
    statuses: [] as StandinStatus[],
    requests: [] as RecordedRequest[],
    violations: [] as string[],
  };
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, token: auth };
    state.requests.push(recorded);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw) : undefined;
      const op = checkAgainstOpenApi(recorded.method, url.pathname, url.searchParams, body);
      recorded.operationId = op.operationId;
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      if (perPage > 100) throw new Error(`per_page=${perPage}: GitHub allows at most 100`);
      const token = auth ? state.tokens.get(auth) : undefined;
      if (!token) throw new HttpError(401, 'Bad credentials');
      const reply = route(op.operationId, op.params, url, body, token, auth!);
      if (reply.list) return sendPage(res, url, reply.list, reply.cap);
      return send(res, reply.status ?? 200, reply.data, reply.raw);
    } catch (error) {
      if (error instanceof HttpError) return send(res, error.status, { message: error.message, documentation_url: 'https://docs.github.com/rest' });
      const message = `${recorded.method} ${recorded.path}: ${error instanceof Error ? error.message : String(error)}`;
      state.violations.push(message);
      return send(res, 500, { message: `github-standin: ${message}` });
    }
  }

  interface Reply {
    status?: number;
    data?: unknown;
    raw?: string;
    list?: unknown[];
    cap?: number;
  }

  function pullJson(pr: StandinPull) {
    const full = `${owner}/${repo}`;
    return {
      number: pr.number,
      state: pr.mergedAt ? 'closed' : 'open',
      user: { login: pr.author, id: 1, type: 'User' },
      head: { sha: pr.headSha, ref: `pr-${pr.number}`, repo: { full_name: pr.fork ? `${pr.author}/${repo}` : full, fork: !!pr.fork } },
      base: { ref: pr.baseRef ?? 'main', sha: '0'.repeat(40), repo: { full_name: full } },
      merged_at: pr.mergedAt ?? null,
      merge_commit_sha: pr.mergeCommitSha ?? null,
      html_url: `https://github.com/${full}/pull/${pr.number}`,
    };
  }

  function pull(n: string): StandinPull {
    const pr = state.pulls.get(Number(n));
    if (!pr) throw new HttpError(404, 'Not Found');
    return pr;
  }

  function commentJson(c: StandinComment) {
    return { id: c.id, body: c.body, user: { login: c.user, id: 2, type: c.user.endsWith('[bot]') ? 'Bot' : 'User' }, created_at: c.createdAt, updated_at: c.createdAt, html_url: `https://github.com/${owner}/${repo}/pull/${c.issue}#issuecomment-${c.id}` };
  }

  function route(operationId: string, p: Record<string, string>, url: URL, body: unknown, token: StandinToken, tokenValue: string): Reply {
    if (p.owner && (p.owner !== owner || p.repo !== repo)) throw new HttpError(404, 'Not Found');
    const b = (body ?? {}) as Record<string, string>;
    switch (operationId) {
      case 'users/get-authenticated':
        if (token.user === false) throw new HttpError(403, 'Resource not accessible by integration');
        return { data: { login: token.login, id: 3, type: 'User' } };
      case 'pulls/get':
        return { data: pullJson(pull(p.pull_number!)) };
      case 'pulls/list-files':
        return { list: (pull(p.pull_number!).files ?? []).map((f) => ({ filename: f.path, status: f.status, ...(f.previousPath ? { previous_filename: f.previousPath } : {}), additions: 1, deletions: 0, changes: 1 })), cap: MAX_FILES };
      case 'pulls/list-reviews':
        pull(p.pull_number!);
        return { list: (state.reviews.get(Number(p.pull_number)) ?? []).map((r) => ({ id: r.id, user: { login: r.user }, state: r.state, commit_id: r.commitId, submitted_at: r.submittedAt ?? new Date().toISOString() })) };
      case 'pulls/list-commits':
        pull(p.pull_number!);
        return { list: (state.commits.get(Number(p.pull_number)) ?? []).map((c) => ({ sha: c.sha, author: c.author ? { login: c.author } : null, committer: c.committer ? { login: c.committer } : null })) };
      case 'repos/list-pull-requests-associated-with-commit':
        return { list: (state.commitPulls.get(p.commit_sha!) ?? []).map((n) => pullJson(pull(String(n)))) };
      case 'repos/get-content': {
        const ref = url.searchParams.get('ref') ?? 'main';
        const text = state.files.get(`${ref}:${p.path}`);
        if (text === undefined) throw new HttpError(404, 'Not Found');
        return { data: { type: 'file', encoding: 'base64', path: p.path, name: p.path!.split('/').pop(), size: Buffer.byteLength(text), content: Buffer.from(text).toString('base64') } };
      }
      case 'issues/list-comments':
        return { list: state.comments.filter((c) => c.issue === Number(p.issue_number)).map(commentJson) };
      case 'issues/create-comment': {
        if (!token.comment) throw new HttpError(403, 'Resource not accessible by integration');
        const c: StandinComment = { id: nextId++, issue: Number(p.issue_number), user: token.login, body: b.body!, createdAt: new Date().toISOString() };
        state.comments.push(c);
        return { status: 201, data: commentJson(c) };
      }
      case 'issues/update-comment': {
        if (!token.comment) throw new HttpError(403, 'Resource not accessible by integration');
        const c = state.comments.find((x) => x.id === Number(p.comment_id));
        if (!c) throw new HttpError(404, 'Not Found');
        if (c.user !== token.login) throw new HttpError(403, 'Must have admin rights to edit others\u2019 comments');
        c.body = b.body!;
        return { data: commentJson(c) };
      }
      case 'issues/delete-comment': {
        if (!token.comment) throw new HttpError(403, 'Resource not accessible by integration');
        const i = state.comments.findIndex((x) => x.id === Number(p.comment_id));
        if (i < 0) throw new HttpError(404, 'Not Found');
        state.comments.splice(i, 1);
        return { status: 204 };
      }
      case 'repos/create-commit-status': {
        if (!token.statuses) throw new HttpError(403, 'Resource not accessible by integration');
        const s: StandinStatus = { sha: p.sha!, state: b.state!, context: b.context ?? 'default', description: b.description, target_url: b.target_url, token: tokenValue };
        state.statuses.push(s);
        return { status: 201, data: { id: nextId++, ...s, token: undefined } };
      }
      case 'repos/list-commit-statuses-for-ref':
        return { list: state.statuses.filter((s) => s.sha === p.ref).reverse().map((s) => ({ ...s, token: undefined })) };
      case 'teams/get-by-name':
        if (!token.teams) throw new HttpError(404, 'Not Found');
        if (!state.teams.has(`${p.org}/${p.team_slug}`)) throw new HttpError(404, 'Not Found');
        return { data: { slug: p.team_slug, name: p.team_slug } };
      case 'teams/get-membership-for-user-in-org': {
        if (!token.teams) throw new HttpError(404, 'Not Found');
        const team = state.teams.get(`${p.org}/${p.team_slug}`);
        if (!team?.has(p.username!)) throw new HttpError(404, 'Not Found');
        return { data: { state: 'active', role: 'member' } };
      }
      case 'repos/get-collaborator-permission-level': {
        const perm = state.permissions.get(p.username!) ?? 'none';
        const legacy = perm === 'maintain' ? 'write' : perm === 'triage' ? 'read' : perm;
        return { data: { permission: legacy, role_name: perm, user: { login: p.username } } };
      }
      default:
        throw new Error(`not implemented by the stand-in: ${operationId}`);
    }
  }

  function sendPage(res: ServerResponse, url: URL, all: unknown[], cap = Infinity): void {
    const items = all.slice(0, cap);
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string) => {
      const u = new URL(url.toString().replace('http://127.0.0.1', state.url));
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(n));
      return `<${u.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (links.length) res.setHeader('link', links.join(', '));
    send(res, 200, items.slice((page - 1) * perPage, page * perPage));
  }

  function send(res: ServerResponse, status: number, data?: unknown, raw?: string): void {
    res.statusCode = status;
    if (status === 204) return void res.end();
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(raw ?? JSON.stringify(data ?? {}));
  }

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return Object.assign(state, {
    addToken: (t: string, v: StandinToken) => void state.tokens.set(t, { comment: true, statuses: true, teams: true, ...v }),
    addPullRequest: (pr: StandinPull) => void state.pulls.set(pr.number, pr),
    setFile: (ref: string, path: string, text: string) => void state.files.set(`${ref}:${path}`, text),
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
