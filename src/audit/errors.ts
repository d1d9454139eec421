// Classifies CloudWatch Logs errors: transient ones are retried, permanent ones stop the run with a fix.
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
  const base = `CloudWatch Logs refused ${action} in log group ${logGroup} (region ${region}): ${name}: ${e?.message ?? String(error)}.`;
  if (name === 'ResourceNotFoundException')
    return `${base} Create the log group ${logGroup} in ${region} (aws logs create-log-group --log-group-name ${logGroup} --region ${region}) or fix the audit-log-group input.`;
  if (/AccessDenied|Unauthorized|Forbidden/i.test(name))
    return `${base} Grant the job's role logs:CreateLogStream and logs:PutLogEvents (and logs:DescribeLogStreams, logs:GetLogEvents for the ledger) on arn:aws:logs:${region}:<account>:log-group:${logGroup}:*.`;
  if (/KMS/i.test(name) || /kms/i.test(e?.message ?? ''))
    return `${base} The log group is encrypted with a KMS key the job's role or the CloudWatch Logs service cannot use: allow kms:Encrypt/kms:GenerateDataKey for logs.${region}.amazonaws.com in the key policy, or re-enable the key.`;
  return `${base} This is not a transient error; fix the audit configuration before running.`;
}
