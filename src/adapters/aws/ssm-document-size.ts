// SSM refuses a SendCommand whose document, parameters included, is over 64 KB. opsgate checks the parameters
// it would send before sending anything, so a large SQL step or script is refused with the fix instead of
// failing at SendCommand. Pure.
import type { SsmTarget, Step } from '../../runbook/model.js';
import { MAX_PARAMETER_BYTES } from './ssm-limits.js';
import { documentParameters, type SendSettings } from './ssm-send.js';

const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;

/** Why the step cannot go out as one AWS-RunShellScript document, or undefined when it fits. */
export function documentSizeProblem(step: Step, target: SsmTarget, settings: Pick<SendSettings, 'commands' | 'executionSeconds'>): string | undefined {
  const size = Buffer.byteLength(JSON.stringify(documentParameters(settings)), 'utf8');
  if (size <= MAX_PARAMETER_BYTES) return undefined;
  const [kind, text] = step.kind === 'sql' ? ['SQL', step.sql] : ['script', step.run];
  return (
    `${step.kind === 'sql' ? 'SQL' : 'Shell'} step "${step.name}" is too large for SSM Run Command on target "${target.name}"; nothing was sent. ` +
    `Its ${kind} is ${bytes(Buffer.byteLength(text, 'utf8'))}, which opsgate sends base64-encoded as ${bytes(size)} of AWS-RunShellScript parameters: ` +
    `more than the ${bytes(MAX_PARAMETER_BYTES)} opsgate allows (SSM refuses a document over 64 KB). ` +
    'Split the step into smaller steps, or put the data on the instance (or in S3) and have the step read it from there.'
  );
}
