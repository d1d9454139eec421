// What a merge-phase event asks for, read from the webhook payload. Pure: the composition root hands the
// payload in. Every field read from the payload is checked here, in one place.
import { RefusalError } from '../run/outcome.js';

export type MergeTrigger =
  /** A push to a branch: run the PR(s) merged by `sha` when the branch is the default one. */
  | { kind: 'push'; sha: string; branch: string; defaultBranch: string; changedPaths: string[]; forced: boolean; commitIds: string[] }
  /** A merge queue check: gates only, nothing runs (the push after the queue merges runs it). */
  | { kind: 'merge-group'; sha: string; pullRequest: number | null; defaultBranch: string }
  /** workflow_dispatch / schedule: re-check a merged PR (named, or the one that made `sha`), e.g. when its window opens. */
  | { kind: 'recheck'; sha: string; pullRequest: number | null; defaultBranch: string; event: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The repository's default branch: the payload's, else (a schedule payload names no repository) GITHUB_REF_NAME,
 * which for a schedule is the default branch (schedules run on its latest commit). Never a guess: a wrong branch
 * would make every PR look unmerged, or let one merged elsewhere count.
 */
export function defaultBranchOf(eventName: string, payload: Json, refName: string): string {
  const repository = isObject(payload.repository) ? payload.repository : {};
  const named = text(repository.default_branch) || text(repository.master_branch);
  if (named) return named;
  if (eventName === 'schedule' && refName) return refName;
  throw new Error(`The ${eventName || 'unknown'} event payload does not name the repository's default branch (repository.default_branch), so opsgate cannot tell which merges count; nothing ran.`);
}

/** Paths the push says it added or modified, across all its commits (the payload lists at most 2,048 commits). */
export function pushChangedPaths(payload: Json): string[] {
  const commits = Array.isArray(payload.commits) ? payload.commits : [];
  const paths = new Set<string>();
  for (const commit of commits) {
    if (!isObject(commit)) continue;
    for (const key of ['added', 'modified'] as const) {
      const list = commit[key];
      if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') paths.add(p);
    }
  }
  return [...paths].sort();
}

/** Ids of the commits the push added, oldest first (a merge queue pushes several merges at once). */
export function pushCommitIds(payload: Json): string[] {
  const commits = Array.isArray(payload.commits) ? payload.commits : [];
  const ids = commits.filter(isObject).map((c) => text(c.id)).filter((id) => /^[0-9a-f]{40}$/.test(id));
  return [...new Set(ids)];
}

/** "refs/heads/gh-readonly-queue/main/pr-104-<sha>" -> 104. */
export function mergeQueuePullRequest(headRef: string): number | null {
  const match = /\/pr-(\d+)-[0-9a-f]+$/.exec(headRef);
  return match ? Number(match[1]) : null;
}

/** A positive PR number from a workflow_dispatch input ("pull-request" or "pull_request"), or null. */
function dispatchPullRequest(payload: Json): number | null {
  const inputs = isObject(payload.inputs) ? payload.inputs : {};
  const raw = inputs['pull-request'] ?? inputs.pull_request ?? inputs.pr;
  if (raw === undefined || raw === null || raw === '') return null;
  const value = Number(String(raw).trim().replace(/^#/, ''));
  if (!Number.isInteger(value) || value <= 0) {
    throw new RefusalError('no-reviewed-pull-request', `The workflow_dispatch input "pull-request" is "${String(raw)}"; give the number of a merged pull request, e.g. 42.`);
  }
  return value;
}

/** `refName` is GITHUB_REF_NAME (read by the composition root); only a schedule needs it. */
export function mergeTriggerFromEvent(eventName: string, payload: Json, githubSha: string, refName = ''): MergeTrigger {
  // A bad dispatch input is the user's to fix: reported before anything else about the payload.
  const pullRequest = eventName === 'workflow_dispatch' ? dispatchPullRequest(payload) : null;
  const defaultBranch = defaultBranchOf(eventName, payload, refName);
  if (eventName === 'push') {
    const ref = text(payload.ref);
    return {
      kind: 'push',
      sha: text(payload.after) || githubSha,
      branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref,
      defaultBranch,
      changedPaths: pushChangedPaths(payload),
      forced: payload.forced === true,
      commitIds: pushCommitIds(payload),
    };
  }
  if (eventName === 'merge_group') {
    const group = isObject(payload.merge_group) ? payload.merge_group : {};
    return { kind: 'merge-group', sha: text(group.head_sha) || githubSha, pullRequest: mergeQueuePullRequest(text(group.head_ref)), defaultBranch };
  }
  return { kind: 'recheck', sha: githubSha, pullRequest, defaultBranch, event: eventName || 'run' };
}
