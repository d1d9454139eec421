// Classifies CloudWatch Logs errors: transient ones are retried, permanent ones stop the run with a fix.
import { errorText } from '../run/error-text.js';
import { partitionOf } from './partition.js';

export function isTransientAwsError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e?.name ?? '';
  if (/Throttl|TooManyRequests|RequestLimitExceeded|ServiceUnavailable|InternalFailure|RequestTimeout/i.test(name)) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  const code = e?.code ?? (e as { cause?: { code?: string } })?.cause?.code ?? '';
  if (/ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up/i.test(`${code} ${String((error as Error)?.message ?? '')}`)) return true;
  return Boolean(e?.$retryable);
}

export function describePermanentAwsError(error: unknown, logGroup: string, region: string, action: string): string {
  const e = error as { name?: string; message?: string };
  const name = e?.name ?? 'Error';
  const base = `CloudWatch Logs refused ${action} in log group ${logGroup} (region ${region}): ${errorText(error)}.`;
  const arn = `arn:${partitionOf(region) ?? 'aws'}:logs:${region}:<account>:log-group:${logGroup}:*`;
  if (name === 'ResourceNotFoundException')
    return `${base} Create the log group ${logGroup} in ${region} (aws logs create-log-group --log-group-name ${logGroup} --region ${region}) or fix the audit-log-group input.`;
  if (/AccessDenied|Unauthorized|Forbidden/i.test(name))
    return `${base} Grant the job's role logs:CreateLogStream and logs:PutLogEvents (and logs:DescribeLogStreams, logs:GetLogEvents for the ledger) on ${arn}.`;
  if (/KMS/i.test(name) || /kms/i.test(e?.message ?? ''))
    return (
      `${base} The log group is encrypted with a KMS key CloudWatch Logs cannot use: it is disabled or scheduled for deletion, or its key policy does not let ` +
      `logs.${region}.amazonaws.com use it (kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*). The job's role itself needs no KMS permission.`
    );
  return `${base} This is not a transient error; fix the audit configuration before running.`;
}
