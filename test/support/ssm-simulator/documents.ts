// The AWS-RunShellScript document as SendCommand checks it (aws-facts §1): `commands` (StringList, at least one
// item), `executionTimeout` (String, default "3600", the documented pattern, 48 h at most), `workingDirectory`
// (String, at most 4,096 characters); any other parameter name is InvalidParameters, and a document whose
// parameters make it larger than 64 KB is MaxDocumentSizeExceeded.
import { AwsJsonError } from '../smithy-validator.js';

/** SSM's document size limit. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
/** AWS-RunShellScript's own content (schema 1.2, three parameters with descriptions): about 1 KB. */
const DOCUMENT_CONTENT_BYTES = 1_024;

const EXECUTION_TIMEOUT = /^(?:([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800))$/;
const KNOWN = new Set(['commands', 'executionTimeout', 'workingDirectory']);

export interface RunShellScriptParameters {
  commands: string[];
  executionTimeoutSeconds: number;
  workingDirectory?: string;
}

/** The parameters as the agent would get them, or the error SSM answers SendCommand with. */
export function checkRunShellScript(parameters: unknown): RunShellScriptParameters {
  const params = (parameters ?? {}) as Record<string, string[]>;
  const unknown = Object.keys(params).filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) throw invalid(`Parameter "${unknown[0]}" is not defined in document AWS-RunShellScript`);
  const commands = params.commands;
  if (!commands || commands.length < 1) throw invalid('Parameter "commands" is required and needs at least 1 item');
  const timeout = oneValue(params, 'executionTimeout') ?? '3600';
  if (!EXECUTION_TIMEOUT.test(timeout)) throw invalid(`Parameter "executionTimeout" value "${timeout}" does not match the allowed pattern (1 to 172800 seconds)`);
  const workingDirectory = oneValue(params, 'workingDirectory');
  if (workingDirectory !== undefined && [...workingDirectory].length > 4096) throw invalid('Parameter "workingDirectory" is longer than 4096 characters');
  const size = DOCUMENT_CONTENT_BYTES + Buffer.byteLength(JSON.stringify(params), 'utf8');
  if (size > MAX_DOCUMENT_BYTES) throw new AwsJsonError('MaxDocumentSizeExceeded', `The document is ${size} bytes; the limit is ${MAX_DOCUMENT_BYTES} bytes (64 KB)`);
  return { commands, executionTimeoutSeconds: Number(timeout), ...(workingDirectory ? { workingDirectory } : {}) };
}

/** A String parameter takes exactly one value. */
function oneValue(params: Record<string, string[]>, name: string): string | undefined {
  const values = params[name];
  if (values === undefined) return undefined;
  if (values.length !== 1) throw invalid(`Parameter "${name}" is a String and takes exactly one value (got ${values.length})`);
  return values[0];
}

function invalid(message: string): AwsJsonError {
  return new AwsJsonError('InvalidParameters', message);
}
