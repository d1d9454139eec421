// Shared helpers for the SSM executor tests: a simulator with its client, instance ids, steps, and a step context
// that collects output.
import { SSMClient } from '@aws-sdk/client-ssm';
import type { StepContext } from '../../../src/ports/executor.js';
import type { ShellStep, SsmTarget } from '../../../src/runbook/model.js';
import { startSsmSimulator, type SimOptions, type SsmSimulator } from './server.js';

export const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

/** Valid instance ids: i- and 17 word characters. */
export const instanceIds = (n: number, prefix: string): string[] =>
  Array.from({ length: n }, (_, i) => `i-${prefix}${String(i).padStart(17 - prefix.length, '0')}`);

export const shellStep = (run: string, timeoutSeconds = 60, name = 'step one'): ShellStep => ({
  kind: 'shell', name, index: 0, timeoutSeconds, continueOnError: false, run,
});

export const ssmTarget = (extra: Partial<SsmTarget>): SsmTarget => ({
  kind: 'ssm', name: 'fleet', maxConcurrency: '10', maxErrors: '0', ...extra,
});

export type CollectingContext = StepContext & { out: string; err: string };

export function collectingContext(signal = new AbortController().signal, origin = { repository: 'acme/ops', pullRequest: 12 }): CollectingContext {
  const ctx: CollectingContext = {
    runId: 'run-1', origin, signal, out: '', err: '',
    onOutput: async (stream, chunk) => {
      ctx[stream === 'stdout' ? 'out' : 'err'] += Buffer.from(chunk).toString('utf8');
    },
  };
  return ctx;
}

/** A simulator and a real SDK client pointed at it (the SDK's default retries, like production's reads). */
export interface SsmTestbed {
  sim: SsmSimulator;
  ssm: SSMClient;
}

export async function startSsmTestbed(options: SimOptions): Promise<SsmTestbed> {
  const sim = await startSsmSimulator(options);
  return { sim, ssm: new SSMClient({ region: 'us-east-1', endpoint: sim.endpoint, credentials }) };
}

export async function stopSsmTestbed(bed: Partial<SsmTestbed>): Promise<void> {
  bed.ssm?.destroy();
  await bed.sim?.close();
}
