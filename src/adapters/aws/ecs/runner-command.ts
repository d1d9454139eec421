// Builds the ExecuteCommand `command` for one step. ECS Exec splits the string shell-style and execs it without
// a shell, so the only quoted text is a fixed bootstrap; the runner program and the step script travel base64,
// the directory is built from a sanitized run id and random hex, offsets are digits.
import { randomBytes } from 'node:crypto';
import { RUNNER_TEMPLATE } from './runner-template.js';

/** Where step directories live in the container (one per run, removed as its steps are acknowledged). */
export const REMOTE_ROOT = '/tmp/opsgate';

export interface RemoteStepPlan {
  /** /tmp/opsgate/<run>/<step>-<nonce>: created atomically by the one session that starts the step. */
  directory: string;
  /** Random per step; every record of the runner carries it. */
  token: string;
  /** The step script (src/run/step-script.ts), base64. */
  scriptBase64: string;
}

export interface StreamPosition {
  stdout: number;
  stderr: number;
  /** Total bytes (stdout + stderr) the runner may have sent: the flow-control window. */
  grant: number;
}

const BOOTSTRAP = `/bin/bash -c 'eval "$(printf %s "$1" | base64 -d)"' opsgate`;
const TEMPLATE_BASE64 = Buffer.from(RUNNER_TEMPLATE, 'utf8').toString('base64');

export function planRemoteStep(runId: string, stepIndex: number, stepScript: string): RemoteStepPlan {
  const run = `run-${runId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)}`;
  return {
    directory: `${REMOTE_ROOT}/${run}/${stepIndex}-${randomBytes(4).toString('hex')}`,
    token: `OPSGATE-${randomBytes(12).toString('hex')}`,
    scriptBase64: Buffer.from(stepScript, 'utf8').toString('base64'),
  };
}

/** `run`: start the step unless its directory exists, then stream from `position`. Safe to send again after a drop. */
export function buildRunCommand(plan: RemoteStepPlan, position: StreamPosition): string {
  return command('run', plan, position, plan.scriptBase64);
}

/** `stop`: never starts anything; stops the step (SIGINT, then SIGKILL) and streams what is left. */
export function buildStopCommand(plan: RemoteStepPlan, position: StreamPosition): string {
  return command('stop', plan, position, '-');
}

function command(mode: 'run' | 'stop', plan: RemoteStepPlan, position: StreamPosition, script: string): string {
  const numbers = [position.stdout, position.stderr, position.grant].map((n) => String(Math.max(0, Math.trunc(n))));
  return [BOOTSTRAP, TEMPLATE_BASE64, mode, plan.directory, plan.token, ...numbers, script].join(' ');
}
