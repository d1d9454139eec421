// `node dist/index.js` for the merge phase, as the runner starts it on `push`: real push payloads from
// @octokit/webhooks-examples, the GitHub stand-in (every request checked against GitHub's OpenAPI description),
// moto for CloudWatch Logs (the audit transcript and the run-once ledger) and the `local` target running bash.
// Plan comments carry the digest the real checker computes. A refusal proves nothing ran: the step would have
// created a marker file, and no transcript exists for the PR.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { startGitHubStandin, type GitHubStandin } from '../support/github-standin.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { startSlackCapture, type SlackCapture } from '../support/slack-capture.js';
import { parseFileCommands, runAction, type ActionRunResult } from '../support/run-action.js';
import { CONFIG_PATH, configYaml, digestOf, planCommentBody, runbookYaml, type RunbookOptions } from '../support/merge/yaml-fixtures.js';

type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Example[];

const TOKEN = 'ghs_e2eTokenValue42';
const SECRET = 'supersecret-value-42';
const LOG_GROUP = '/opsgate/audit';
const configText = configYaml({ audit: { logGroup: LOG_GROUP, region: 'us-east-1' }, redact: ['tok_[a-z0-9]+'] });
const dir = mkdtempSync(join(tmpdir(), 'opsgate-merge-dist-'));

let gh: GitHubStandin;
let moto: MotoServer;
let cloudWatch: HangingProxy;
let logs: CloudWatchLogsClient;
let slack: SlackCapture;
let slackUrl = '';
let slackBodies: string[] = [];

beforeAll(async () => {
  [moto, gh] = await Promise.all([startMoto(), startGitHubStandin({ owner: 'acme', repo: 'ops' })]);
  cloudWatch = await startHangingProxy(moto.endpoint);
  logs = new CloudWatchLogsClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
  // Like GITHUB_TOKEN: can comment, cannot read org teams or GET /user.
  gh.addToken(TOKEN, { login: 'github-actions[bot]', comment: true, statuses: true, teams: false, user: false });
  for (const login of ['bob', 'carol', 'dave']) gh.setPermission(login, 'write');
  slack = await startSlackCapture();
  slackBodies = slack.bodies;
  slackUrl = `${slack.url}/hook`;
}, 60_000);

afterAll(async () => {
  gh.assertClean();
  await Promise.all([gh.close(), cloudWatch.stop(), moto.stop(), slack.close()]);
});

interface HangingProxy {
  endpoint: string;
  /** From now on, requests are accepted and never answered (an endpoint that stopped responding). */
  hang(): void;
  stop(): Promise<void>;
}

/** Forwards to moto until told to hang: what no retry policy can shorten, only opsgate's own exit deadline. */
async function startHangingProxy(upstream: string): Promise<HangingProxy> {
  const target = new URL(upstream);
  let hanging = false;
  const server = createServer((req, res) => {
    if (hanging) return;
    const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: () => (hanging = true),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ReviewSeed {
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'DISMISSED' | 'COMMENTED';
  /** Defaults to the PR's head. */
  commitId?: string;
}

interface Seed {
  reviews?: ReviewSeed[];
  runbook?: RunbookOptions;
  /** real: the plan comment shows the checker's digest; wrong: another digest; none: no plan comment (fork PRs). */
  plan?: 'real' | 'wrong' | 'none';
  fork?: boolean;
  committer?: string;
}

const headOf = (n: number) => String(n).padStart(40, 'a');
const mergeOf = (n: number) => String(n).padStart(40, 'c');
const markerOf = (n: number, suffix = '') => join(dir, `ran-${n}${suffix}`);

/** PR `n` by alice, merged as mergeOf(n), adding runbooks/r<n>.yml with the given steps. */
async function seed(n: number, commands: string[], opts: Seed = {}): Promise<string> {
  const head = headOf(n);
  const merge = mergeOf(n);
  const path = `runbooks/r${n}.yml`;
  const text = runbookYaml(commands, opts.runbook);
  gh.addPullRequest({ number: n, author: 'alice', headSha: head, baseRef: 'main', fork: opts.fork, mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: merge, files: [{ path, status: 'added' }] });
  gh.addCommit(n, { sha: head, author: 'alice', committer: opts.committer ?? 'alice' });
  gh.linkCommit(merge, n);
  for (const ref of [merge, head]) {
    gh.setFile(ref, CONFIG_PATH, configText);
    gh.setFile(ref, path, text);
  }
  for (const r of opts.reviews ?? [{ user: 'bob', state: 'APPROVED' }]) gh.addReview(n, { user: r.user, state: r.state, commitId: r.commitId ?? head, submittedAt: '2026-11-22T09:00:00Z' });
  const plan = opts.plan ?? 'real';
  if (plan !== 'none') {
    const digest = plan === 'real' ? await digestOf(path, text, configText) : `sha256:${'0'.repeat(64)}`;
    // The PR phase's sticky comment, written through the real gateway with the same token.
    await createGitHubGateway('acme', 'ops', { token: TOKEN, apiUrl: gh.url }).upsertStickyComment(n, '<!-- opsgate:plan -->', planCommentBody({ [path]: digest }, head));
  }
  return merge;
}

/** A real push payload, pointed at the merge commit on the default branch. */
function pushPayload(merge: string): Record<string, unknown> {
  const example = examples.find((e) => e.name === 'push')!.examples.find((e) => String(e.ref).startsWith('refs/heads/'))!;
  const payload = structuredClone(example) as Record<string, unknown> & { commits?: Record<string, unknown>[]; repository: Record<string, unknown> };
  return { ...payload, ref: 'refs/heads/main', after: merge, forced: false, commits: [{ ...(payload.commits?.[0] ?? {}), id: merge, added: [], modified: [] }], repository: { ...payload.repository, default_branch: 'main' } };
}

interface RunOptions {
  runId?: string;
  env?: Record<string, string>;
  inputs?: Record<string, string>;
  onSpawn?: Parameters<typeof runAction>[0]['onSpawn'];
}

function runMerge(n: number, opts: RunOptions = {}): Promise<ActionRunResult> {
  return runAction({
    ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
    eventName: 'push',
    payload: pushPayload(mergeOf(n)),
    sha: mergeOf(n),
    inputs: { 'github-token': TOKEN, mode: 'auto', config: CONFIG_PATH, runbooks: 'runbooks/**/*.{yml,yaml}', 'secret-env': 'SECRET_X', ...opts.inputs },
    env: {
      GITHUB_API_URL: gh.url,
      GITHUB_RUN_ID: opts.runId ?? `${n}00`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-key-example-000',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: moto.endpoint,
      SECRET_X: SECRET,
      ...opts.env,
    },
  });
}

/** Runs the post: step of an earlier attempt, with the state its main step saved. */
function runPost(n: number, main: ActionRunResult): Promise<ActionRunResult> {
  const state = parseFileCommands(readFileSync(join(main.dir, 'state.txt'), 'utf8'));
  return runMerge(n, { env: Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])) });
}

/** Sends `signal` once the step has created `marker`; resolves the time it was sent. */
function signalWhenStarted(marker: string, signal: NodeJS.Signals, onSent?: () => void): { onSpawn: RunOptions['onSpawn']; sentAt: () => number } {
  let sentAt = 0;
  return {
    sentAt: () => sentAt,
    onSpawn: (child) => {
      const poll = setInterval(() => {
        if (!existsSync(marker)) return;
        clearInterval(poll);
        onSent?.();
        sentAt = Date.now();
        child.kill(signal);
      }, 20);
      child.once('exit', () => clearInterval(poll));
    },
  };
}

const resultComment = (n: number) => gh.comments.filter((c) => c.issue === n && c.body.startsWith('<!-- opsgate:result -->')).map((c) => c.body);

type AuditEvent = { type: string; [key: string]: unknown };

/** Every transcript in moto written for PR `n`, each as its events in order. */
async function transcripts(n: number): Promise<AuditEvent[][]> {
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: LOG_GROUP }));
  const out: AuditEvent[][] = [];
  for (const stream of streams.logStreams ?? []) {
    const page = await logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: stream.logStreamName!, startFromHead: true }));
    const events = (page.events ?? []).map((e) => JSON.parse(e.message!) as AuditEvent);
    const started = events.find((e) => e.type === 'run.started') as { identity?: { pullRequest?: number } } | undefined;
    if (started?.identity?.pullRequest === n) out.push(events);
  }
  return out;
}

function jsonlFilesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl')).map((f) => join(root, f));
}

const outputText = (events: AuditEvent[]) => events.filter((e) => e.type === 'step.output').map((e) => String(e.text ?? '')).join('');

describe('node dist/index.js on push: an approved runbook', () => {
  it('runs once, comments, writes the summary, the outputs and the transcript; a re-run of the job skips it', async () => {
    const marker = markerOf(21);
    await seed(21, [`echo hello-from-21; echo once >> '${marker}'`, 'echo second step']);
    const r = await runMerge(21);
    expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Dynamic require/);
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ decision: 'proceed', 'reason-code': 'ok' });
    const result = JSON.parse(r.outputs.result!) as { version: number; pullRequests: { number: number; runbooks: { digestComparedWith: string; steps: { status: string }[] }[] }[] };
    expect(result).toMatchObject({ version: 1, pullRequests: [{ number: 21, runbooks: [{ digestComparedWith: 'plan-comment', steps: [{ status: 'succeeded' }, { status: 'succeeded' }] }] }] });
    const [comment] = resultComment(21);
    expect(comment).toMatch(/^<!-- opsgate:result -->\n## opsgate result for #21: ✅ ok/);
    expect(comment).toContain('| 1 | step 1 | ✅ succeeded | 0 |');
    expect(comment).toContain('| 2 | step 2 | ✅ succeeded | 0 |');
    expect(comment).toContain('**Approved:** 1 of 1 approvals: bob');
    expect(comment).toMatch(/\*\*Audit transcript:\*\* CloudWatch Logs \/opsgate\/audit, stream \S+ \(us-east-1\) · \[log stream\]\(https:\/\/[^)]+\) · \[Logs Insights query\]/);
    expect(r.summary).toContain(comment);
    const [events, ...others] = await transcripts(21);
    expect(others).toEqual([]);
    expect(events!.map((e) => e.type).filter((t) => t !== 'step.output')).toEqual(['run.started', 'target.resolved', 'step.started', 'step.finished', 'step.started', 'step.finished', 'run.finished']);
    expect(outputText(events!)).toBe('hello-from-21\nsecond step\n');
    expect(events!.at(-1)).toMatchObject({ type: 'run.finished', reasonCode: 'ok' });
    expect(readFileSync(marker, 'utf8')).toBe('once\n');

    const again = await runMerge(21);
    expect(again.exitCode).toBe(0);
    expect(again.outputs).toMatchObject({ decision: 'proceed', 'reason-code': 'already-completed' });
    expect(readFileSync(marker, 'utf8')).toBe('once\n');
    expect(await transcripts(21)).toHaveLength(1);
  });

  it('runs a fork PR without a plan comment after comparing with the approved head, and says so', async () => {
    const marker = markerOf(22);
    await seed(22, [`touch '${marker}'`], { fork: true, plan: 'none' });
    const r = await runMerge(22);
    expect(r.outputs['reason-code']).toBe('ok');
    expect(existsSync(marker)).toBe(true);
    expect(resultComment(22)[0]).toContain(`(equal to the digest at the approved head \`${headOf(22).slice(0, 7)}\`; the PR has no plan comment)`);
  });
});

describe('node dist/index.js on push: every refusal of the approval table runs nothing', () => {
  const stale = '9'.repeat(40);
  it.for<[string, number, Seed, string]>([
    ['a stale approval (given before the last push)', 31, { reviews: [{ user: 'bob', state: 'APPROVED', commitId: stale }] }, 'stale-approval'],
    ['self-approval by the author', 32, { reviews: [{ user: 'alice', state: 'APPROVED' }] }, 'self-approval'],
    ['approval by a committer who is not the author', 33, { committer: 'carol', reviews: [{ user: 'carol', state: 'APPROVED' }] }, 'self-approval'],
    ['an approval that was dismissed', 34, { reviews: [{ user: 'bob', state: 'APPROVED' }, { user: 'bob', state: 'DISMISSED' }] }, 'not-approved'],
    ['changes requested by another reviewer', 35, { reviews: [{ user: 'bob', state: 'APPROVED' }, { user: 'dave', state: 'CHANGES_REQUESTED' }] }, 'changes-requested'],
    ['an approver not in `from`', 36, { runbook: { approvals: { from: ['dave'] } } }, 'approver-not-eligible'],
    ['a team whose membership the token cannot read', 37, { runbook: { approvals: { from: ['@acme/sre'] } } }, 'team-membership-unreadable'],
    ["enough for the repo policy but not the runbook's stricter count", 38, { runbook: { approvals: { required: 2 } } }, 'not-approved'],
    ['a digest that differs from the plan comment', 39, { plan: 'wrong' }, 'digest-mismatch'],
    ['a window that has not opened', 40, { runbook: { window: { notBefore: '2099-01-01T00:00:00Z' } } }, 'window-not-open'],
  ])('%s (#%i)', async ([, n, opts, code], { expect }) => {
    const marker = markerOf(n);
    await seed(n, [`touch '${marker}'`], opts);
    const r = await runMerge(n);
    expect(r.exitCode).toBe(1);
    expect(r.outputs).toMatchObject({ decision: 'refuse', 'reason-code': code });
    expect(resultComment(n)[0]).toContain(`## opsgate result for #${n}: ⛔ ${code}`);
    expect(existsSync(marker)).toBe(false);
    expect(await transcripts(n)).toEqual([]);
  });
});

describe('node dist/index.js on push: secrets', () => {
  it('never reach the job log, the comment, the summary, the outputs, the audit log or Slack; steps do not inherit credentials', async () => {
    const envFile = join(dir, 'env-51.txt');
    await seed(51, [`echo "literal ${TOKEN}"; echo "from env $SECRET_X"; echo tok_abc123; env > '${envFile}'`]);
    slackBodies.length = 0;
    const r = await runMerge(51, {
      inputs: { 'slack-webhook-url': slackUrl },
      env: { GITHUB_TOKEN: TOKEN, ACTIONS_RUNTIME_TOKEN: 'actions-runtime-token-1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-token-request-1' },
    });
    expect(r.outputs['reason-code']).toBe('ok');
    const leaks = new RegExp([TOKEN, SECRET, 'tok_abc123', slackUrl].map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'));
    // The runner masks what follows ::add-mask:: in the job log; nothing else may carry a secret.
    const logLines = `${r.stdout}\n${r.stderr}`.split('\n').filter((line) => leaks.test(line));
    expect(logLines.every((line) => line.startsWith('::add-mask::'))).toBe(true);
    expect(r.stdout).toContain('literal ***');
    const [comment] = resultComment(51);
    expect(comment).toContain('```text\nliteral ***\nfrom env ***\n***\n```');
    const events = (await transcripts(51)).flat();
    expect(outputText(events)).toBe('literal ***\nfrom env ***\n***\n');
    expect(slackBodies.map((b) => (JSON.parse(b) as { text: string }).text)).toEqual([expect.stringMatching(/^:arrow_forward: opsgate started `runbooks\/r51\.yml`/), expect.stringMatching(/^:white_check_mark: opsgate finished/)]);
    for (const published of [comment!, r.summary, JSON.stringify(r.outputs), JSON.stringify(events), ...slackBodies]) expect(published).not.toMatch(leaks);
    const inherited = readFileSync(envFile, 'utf8').split('\n').map((line) => line.split('=')[0]!);
    expect(inherited).toEqual(expect.arrayContaining(['PATH', 'SECRET_X']));
    expect(inherited.filter((name) => /^(INPUT_|ACTIONS_|STATE_)|^(GITHUB_TOKEN|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|GITHUB_OUTPUT|GITHUB_STATE|GITHUB_STEP_SUMMARY)$/.test(name))).toEqual([]);
  });
});

describe('node dist/index.js on push: interrupted and cancelled runs', () => {
  it('a run SIGKILLed mid-step is posted as interrupted by the post step, and the next attempt refuses, naming the step', async () => {
    const marker = markerOf(61);
    await seed(61, [`touch '${marker}'; sleep 30`, 'echo never']);
    const killer = signalWhenStarted(marker, 'SIGKILL');
    const killed = await runMerge(61, { onSpawn: killer.onSpawn });
    expect(killed.signal).toBe('SIGKILL');
    expect(resultComment(61)).toEqual([]);

    const post = await runPost(61, killed);
    expect(post.stdout).toContain('posted its interrupted result on #61');
    expect(resultComment(61)[0]).toContain('⛔ **cancelled** — The job stopped (cancelled or the runner died) before this runbook finished.');

    rmSync(marker);
    const next = await runMerge(61, { runId: '6101' });
    expect(next.outputs).toMatchObject({ decision: 'refuse', 'reason-code': 'interrupted-earlier' });
    expect(JSON.parse(next.outputs.result!).outcome.message).toContain('never finished: step 1 "step 1" was in flight when it stopped');
    expect(existsSync(marker)).toBe(false);
  });

  it('on SIGINT stops a step that ignores SIGTERM, records the cancellation in CloudWatch, and exits', async () => {
    const marker = markerOf(62);
    await seed(62, [`trap '' TERM INT; touch '${marker}'; for i in $(seq 1 60); do sleep 0.5; done; touch '${marker}.done'`, 'echo never']);
    const cancel = signalWhenStarted(marker, 'SIGINT');
    const r = await runMerge(62, { onSpawn: cancel.onSpawn });
    const exitedAfterMs = Date.now() - cancel.sentAt();
    console.log(`SIGINT → exit: ${exitedAfterMs} ms (step ignoring SIGTERM, CloudWatch answering)`);
    expect(exitedAfterMs).toBeLessThan(9_500); // hang guard only: the runner kills the process 10 s after SIGINT
    expect(r.exitCode).toBe(1);
    expect(r.outputs).toMatchObject({ decision: 'refuse', 'reason-code': 'cancelled' });
    expect(existsSync(`${marker}.done`)).toBe(false);
    const [events] = await transcripts(62);
    expect(events!.filter((e) => e.type === 'step.finished')).toEqual([expect.objectContaining({ index: 0, status: 'cancelled' })]);
    expect(events!.at(-1)).toMatchObject({ type: 'run.finished', reasonCode: 'cancelled' });
    expect(resultComment(62)[0]).toContain('| 1 | step 1 | 🛑 cancelled |');
    // Graceful: the step was stopped and everything reported before main.ts's own deadline.
    expect(JSON.parse(r.outputs.result!)).toMatchObject({ cancelled: true });
    expect(JSON.parse(r.outputs.result!)).not.toHaveProperty('forcedExit');

    rmSync(marker);
    await runMerge(62, { runId: '6201' });
    expect(existsSync(marker)).toBe(false);
  });

  it('on SIGINT while GitHub stops answering, exits by its own deadline with the cancelled outputs', async () => {
    // SIGINT goes out when the first GitHub request arrives: by then main.ts's handler is surely installed.
    let child: ChildProcess | undefined;
    let sentAt = 0;
    const silent = createServer(() => {
      if (sentAt || !child) return; // accepts every request, never answers
      sentAt = Date.now();
      child.kill('SIGINT');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const r = await runMerge(21, { env: { GITHUB_API_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }, onSpawn: (spawned) => void (child = spawned) });
      expect(sentAt).toBeGreaterThan(0);
      const exitedAfterMs = Date.now() - sentAt;
      console.log(`SIGINT → exit: ${exitedAfterMs} ms (GitHub not answering)`);
      expect(exitedAfterMs).toBeLessThan(9_500); // hang guard only: the runner kills the process 10 s after SIGINT
      expect(r.exitCode).toBe(1);
      expect(r.outputs).toMatchObject({ decision: 'refuse', 'reason-code': 'cancelled' });
      expect(JSON.parse(r.outputs.result!)).toMatchObject({ cancelled: true, forcedExit: true });
      expect(r.stdout).toContain('::error::opsgate refused (cancelled): The job was cancelled and opsgate stopped waiting after 4.5 s.');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('on SIGINT while CloudWatch stops answering, keeps the transcript with the cancellation on the runner and exits; the post step posts the comment', async () => {
    const marker = markerOf(63);
    await seed(63, [`touch '${marker}'; sleep 30`]);
    const cancel = signalWhenStarted(marker, 'SIGINT', () => cloudWatch.hang());
    const r = await runMerge(63, { onSpawn: cancel.onSpawn, env: { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudWatch.endpoint } });
    const exitedAfterMs = Date.now() - cancel.sentAt();
    console.log(`SIGINT → exit: ${exitedAfterMs} ms (CloudWatch not answering after SIGINT)`);
    expect(exitedAfterMs).toBeLessThan(9_500); // hang guard only
    expect(r.exitCode).toBe(1);
    // CloudWatch did not take the end of the transcript: an outage, reported as such.
    expect(r.outputs).toMatchObject({ decision: 'error', 'reason-code': 'audit-unavailable' });
    const kept = jsonlFilesUnder(r.dir);
    expect(kept).toHaveLength(1);
    const local = readFileSync(kept[0]!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(local.find((e) => e.type === 'step.finished')).toMatchObject({ index: 0, status: 'cancelled' });
    // …and its tail, hash and line count are in the job summary.
    expect(r.summary).toContain('### Audit transcript of `runbooks/r63.yml` kept on the runner');
    expect(r.summary).toContain(`${local.length} lines, sha256 \``);
    const post = await runPost(63, r);
    expect(post.exitCode).toBe(0);
    expect(resultComment(63)[0]).toMatch(/^<!-- opsgate:result -->\n## opsgate result for #63: /);
  });
});

describe('node dist/index.js: mistakes in the workflow are refusals, not internal errors', () => {
  it.for<[string, string, Record<string, string>]>([
    ['an unknown mode', 'push', { mode: 'deploy' }],
    ['an event opsgate does not serve', 'issue_comment', {}],
  ])('%s', async ([, eventName, inputs], { expect }) => {
    const r = await runAction({ eventName, payload: {}, inputs: { 'github-token': TOKEN, mode: 'auto', ...inputs }, env: { GITHUB_API_URL: gh.url } });
    expect(r.exitCode).toBe(1);
    expect(r.outputs).toMatchObject({ decision: 'refuse', 'reason-code': 'invalid-config' });
  });
});
