// Helpers for driving `node dist/index.js` (merge phase, push) against an ECS Exec target on the simulator:
// the repo config and runbook YAML, seeding the GitHub stand-in with a merged, approved PR whose plan comment
// carries the digest the real checker computes, and reading a run's transcript back from CloudWatch Logs.
import { createRequire } from 'node:module';
import { DescribeLogStreamsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { stringify } from 'yaml';
import { createGitHubGateway } from '../../src/adapters/github/octokit-gateway.js';
import { readStreamMessages } from '../../src/adapters/aws/cloudwatch-read.js';
import { loadRepoConfig } from '../../src/config/load-repo-config.js';
import { decodeOutputBytes } from '../../src/audit/events.js';
import { TranscriptVerifier, type VerifyReport } from '../../src/audit/verify.js';
import { digestMarker, PLAN_MARKER } from '../../src/plan/digest-marker.js';
import { checkRunbook } from '../../src/runbook/check.js';
import type { GitHubStandin } from './github-standin.js';
import { IndependentChainCheck, type IndependentChainReport } from './independent-chain.js';

export const CONFIG_PATH = '.github/opsgate.yml';
type Example = { name: string; examples: Record<string, unknown>[] };
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Example[];

export function ecsConfigYaml(logGroup: string, ecs: Record<string, unknown>): string {
  return stringify({
    version: 1,
    audit: { 'log-group': logGroup, region: 'us-east-1' },
    targets: { app: { region: 'eu-west-1', ecs } },
    databases: { main: { engine: 'postgres', target: 'app', 'url-env': 'OPSGATE_E2E_DB_URL' } },
    policy: { approvals: { required: 1 } },
  });
}

export type E2eStep = { name: string; run: string; continueOnError?: boolean; timeout?: string } | { name: string; sql: string };

export function ecsRunbookYaml(title: string, steps: E2eStep[]): string {
  return stringify({
    version: 1,
    title,
    target: 'app',
    steps: steps.map((s) =>
      'sql' in s
        ? { name: s.name, sql: s.sql, database: 'main', timeout: '2m' }
        : { name: s.name, run: s.run, timeout: s.timeout ?? '5m', ...(s.continueOnError ? { 'continue-on-error': true } : {}) },
    ),
  });
}

/** PR `n` by alice adding runbooks/r<n>.yml, merged as a fixed sha, approved by bob, with its plan comment. */
export async function seedMergedPr(gh: GitHubStandin, token: string, n: number, configText: string, runbookText: string): Promise<string> {
  const head = String(n).padStart(40, 'a');
  const merge = String(n).padStart(40, 'c');
  const path = `runbooks/r${n}.yml`;
  gh.addPullRequest({ number: n, author: 'alice', headSha: head, baseRef: 'main', mergedAt: '2026-11-22T10:00:00Z', mergeCommitSha: merge, files: [{ path, status: 'added' }] });
  gh.addCommit(n, { sha: head, author: 'alice', committer: 'alice' });
  gh.linkCommit(merge, n);
  for (const ref of [merge, head]) {
    gh.setFile(ref, CONFIG_PATH, configText);
    gh.setFile(ref, path, runbookText);
  }
  gh.addReview(n, { user: 'bob', state: 'APPROVED', commitId: head, submittedAt: '2026-11-22T09:00:00Z' });
  const config = loadRepoConfig({ path: CONFIG_PATH, text: configText });
  if (!config.value) throw new Error(`test config is invalid: ${JSON.stringify(config.diagnostics)}`);
  const checked = await checkRunbook({ path, text: runbookText }, config.value);
  if (!checked.checked) throw new Error(`test runbook is invalid: ${JSON.stringify(checked.diagnostics)}`);
  const body = [PLAN_MARKER, digestMarker(path, checked.checked.digest, head), '## opsgate plan'].join('\n');
  await createGitHubGateway('acme', 'ops', { token, apiUrl: gh.url }).upsertStickyComment(n, PLAN_MARKER, body);
  return merge;
}

/** A real push payload from @octokit/webhooks-examples, pointed at the merge commit on the default branch. */
export function pushPayload(merge: string): Record<string, unknown> {
  const example = examples.find((e) => e.name === 'push')!.examples.find((e) => String(e.ref).startsWith('refs/heads/'))!;
  const payload = structuredClone(example) as Record<string, unknown> & { commits?: Record<string, unknown>[]; repository: Record<string, unknown> };
  return { ...payload, ref: 'refs/heads/main', after: merge, forced: false, commits: [{ ...(payload.commits?.[0] ?? {}), id: merge, added: [], modified: [] }], repository: { ...payload.repository, default_branch: 'main' } };
}

export interface ReadTranscript {
  events: Array<Record<string, unknown> & { type: string }>;
  /** Output bytes per step index and stream, rebuilt from step.output events. */
  output(step: number, stream: 'stdout' | 'stderr'): Buffer;
  /** src's TranscriptVerifier, with the problems of the independent chain check (test/support) added. */
  verify: VerifyReport;
  chain: IndependentChainReport;
}

/** Reads every stream of the log group whose name contains `needle`, joins split events, decodes output. */
export async function readTranscript(logs: CloudWatchLogsClient, logGroup: string, needle: string): Promise<ReadTranscript> {
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: logGroup }));
  const name = (streams.logStreams ?? []).map((s) => s.logStreamName ?? '').find((s) => s.includes(needle) && !s.includes('claim#'));
  if (!name) throw new Error(`no audit stream containing ${needle}`);
  const verifier = new TranscriptVerifier();
  const independent = new IndependentChainCheck();
  const events: ReadTranscript['events'] = [];
  const parts = new Map<string, string[]>();
  for await (const message of readStreamMessages(logs, logGroup, name)) {
    verifier.addMessage(message, name);
    independent.add(message, name);
    const parsed = JSON.parse(message) as Record<string, unknown> & { type: string };
    if (parsed.type !== 'part') {
      events.push(parsed);
      continue;
    }
    const list = parts.get(String(parsed.of)) ?? [];
    list[Number(parsed.i)] = String(parsed.text);
    parts.set(String(parsed.of), list);
    if (list.filter((t) => t !== undefined).length === Number(parsed.n)) events.push(JSON.parse(list.join('')) as ReadTranscript['events'][number]);
  }
  return {
    events,
    output: (step, stream) => Buffer.concat(events.filter((e) => e.type === 'step.output' && e.index === step && e.stream === stream).map((e) => decodeOutputBytes(e))),
    ...withIndependentCheck(verifier.finish(), independent.finish()),
  };
}

/** A transcript verifies only when the independent check agrees: same events, same head, no problems. */
function withIndependentCheck(verify: VerifyReport, chain: IndependentChainReport): { verify: VerifyReport; chain: IndependentChainReport } {
  const problems = chain.problems.map((p) => `independent chain check: ${p}`);
  if (chain.events !== verify.events || chain.head?.sha256 !== verify.head?.sha256) problems.push(`independent chain check: ${chain.events} events ending at ${JSON.stringify(chain.head)}, TranscriptVerifier: ${verify.events} ending at ${JSON.stringify(verify.head)}`);
  return { chain, verify: { ...verify, ok: verify.ok && problems.length === 0, problems: [...verify.problems, ...problems] } };
}
