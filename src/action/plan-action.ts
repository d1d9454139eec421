// Builds the PR phase from the runner's environment: the Octokit gateway (baseUrl = GITHUB_API_URL, aborted with
// the job) and the reporter, then runs it.
import type { ActionContext } from './context.js';
import type { PhaseResult } from '../usecases/phase-result.js';
import { createGitHubGateway } from '../adapters/github/octokit-gateway.js';
import { runPrPhase } from '../usecases/pr-phase.js';

export async function planFromAction(context: ActionContext): Promise<PhaseResult> {
  const github = createGitHubGateway(context.owner, context.repo, {
    token: context.inputs.githubToken,
    membersToken: context.inputs.membersToken,
    apiUrl: context.apiUrl,
    log: (m) => context.reporter.info(m),
    signal: context.signal,
  });
  return runPrPhase(
    {
      eventName: context.eventName,
      payload: context.payload,
      configPath: context.inputs.configPath,
      runbooksGlob: context.inputs.runbooksGlob,
      statusContext: context.inputs.statusContext,
      workflowRunUrl: context.workflowRunUrl,
    },
    { github, reporter: context.reporter, signal: context.signal },
  );
}
