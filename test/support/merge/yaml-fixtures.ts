// Real repo config and runbook YAML for the merge-phase tests, and their digests as the real loaders compute
// them (the PR phase writes exactly this digest into its plan comment).
import { stringify } from 'yaml';
import { loadRepoConfig } from '../../../src/config/load-repo-config.js';
import { checkRunbook } from '../../../src/runbook/check.js';
import { PLAN_MARKER, digestMarker } from '../../../src/plan/digest-marker.js';

export const CONFIG_PATH = '.github/opsgate.yml';

export interface ConfigOptions {
  /** Omit for a config without an audit section. */
  audit?: { logGroup: string; region?: string } | null;
  required?: number;
  from?: string[];
  redact?: string[];
  /** Extra targets, as YAML objects (e.g. an ssm target). */
  targets?: Record<string, unknown>;
}

export function configYaml(options: ConfigOptions = {}): string {
  const audit = options.audit === null ? undefined : (options.audit ?? { logGroup: '/opsgate/audit', region: 'eu-west-1' });
  return stringify({
    version: 1,
    ...(audit ? { audit: { 'log-group': audit.logGroup, ...(audit.region ? { region: audit.region } : {}) } } : {}),
    targets: { local: { local: {} }, ...options.targets },
    policy: {
      approvals: { required: options.required ?? 1, ...(options.from ? { from: options.from } : {}) },
      ...(options.redact ? { redact: options.redact } : {}),
    },
  });
}

export interface RunbookOptions {
  title?: string;
  target?: string;
  window?: { notBefore?: string; notAfter?: string };
  approvals?: { required?: number; from?: string[] };
  timeout?: string;
}

/** One shell step per command, named "step 1", "step 2"… unless a name is given as "name: command". */
export function runbookYaml(commands: string[], options: RunbookOptions = {}): string {
  const window = options.window ? { ...(options.window.notBefore ? { 'not-before': options.window.notBefore } : {}), ...(options.window.notAfter ? { 'not-after': options.window.notAfter } : {}) } : undefined;
  return stringify({
    version: 1,
    title: options.title ?? 'Test runbook',
    target: options.target ?? 'local',
    ...(window ? { window } : {}),
    ...(options.approvals ? { approvals: options.approvals } : {}),
    steps: commands.map((run, index) => ({ name: `step ${index + 1}`, run, timeout: options.timeout ?? '1m' })),
  });
}

/** The digest the real checker computes, as the PR phase shows it; throws when either file is invalid. */
export async function digestOf(path: string, runbookText: string, configText: string): Promise<string> {
  const config = loadRepoConfig({ path: CONFIG_PATH, text: configText });
  if (!config.value) throw new Error(`test config is invalid: ${JSON.stringify(config.diagnostics)}`);
  const checked = await checkRunbook({ path, text: runbookText }, config.value);
  if (!checked.checked) throw new Error(`test runbook is invalid: ${JSON.stringify(checked.diagnostics)}`);
  return checked.checked.digest;
}

/** A plan comment as the PR phase writes it (its marker and digest lines) listing these digests for `head`. */
export function planCommentBody(digests: Record<string, string>, head: string): string {
  return [PLAN_MARKER, ...Object.entries(digests).map(([path, digest]) => digestMarker(path, digest, head)), '## opsgate plan'].join('\n');
}
