// A loopback HTTP proxy in front of moto that enforces CloudWatch Logs' PutLogEvents limits, which moto does
// not: every awsJson1_1 request with `X-Amz-Target: Logs_20140328.PutLogEvents` is parsed and measured with its
// own arithmetic (Σ Buffer.byteLength(message, 'utf8') + 26 per event, event count, largest event, order, span),
// never with opsgate's constants. A call over a limit gets the 400 InvalidParameterException CloudWatch answers
// and is not forwarded; the violation is recorded so tests can assert that none happened. Everything else is
// forwarded unchanged. The numbers are written out here (aws-facts.md section 3, the service model), never
// imported from src/: a wrong constant there must not be able to check itself.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** Σ UTF-8 message bytes + 26 per event may not exceed this per call. */
export const CWL_MAX_BATCH_BYTES = 1_048_576;
export const CWL_EVENT_OVERHEAD_BYTES = 26;
/** Events per call: 1 to 10,000 (the service model's InputLogEvents length). */
export const CWL_MAX_BATCH_EVENTS = 10_000;
/** One event, message bytes + 26, since April 2025 (was 262,144). */
export const CWL_MAX_EVENT_BYTES = 1_048_576;
/** The events CloudWatch accepts in one call may span at most 24 h. */
export const CWL_MAX_SPAN_MS = 24 * 3600 * 1000;
/** Events outside [now − 14 d, now + 2 h] are kept out (rejectedLogEventsInfo), not counted in the span. */
const TOO_OLD_MS = 14 * 24 * 3600 * 1000;
const TOO_NEW_MS = 2 * 3600 * 1000;

const PUT_LOG_EVENTS_TARGET = 'Logs_20140328.PutLogEvents';

export type LimitRule = 'batch-bytes' | 'event-count' | 'event-size' | 'empty-message' | 'chronological' | 'span' | 'malformed';

export interface LimitViolation {
  rule: LimitRule;
  logGroupName: string;
  logStreamName: string;
  /** What CloudWatch would say, plus the numbers measured. */
  message: string;
}

/** One PutLogEvents call as the proxy measured it. */
export interface PutLogEventsMeasurement {
  logGroupName: string;
  logStreamName: string;
  events: number;
  /** Σ Buffer.byteLength(message, 'utf8'). */
  messageBytes: number;
  /** messageBytes + 26 × events: what CloudWatch counts against 1,048,576. */
  batchBytes: number;
  /** The largest event: its UTF-8 message bytes + 26. */
  largestEventBytes: number;
  /** The first event: its UTF-8 message bytes + 26 (did the call before have room for it?). */
  firstEventBytes: number;
  chronological: boolean;
  /** Last minus first timestamp of the events CloudWatch would accept (within 14 days back, 2 hours ahead). */
  spanMs: number;
  /** False when the proxy answered 400 instead of forwarding. */
  forwarded: boolean;
}

export interface PutLogEventsCheck {
  measurement: PutLogEventsMeasurement;
  violations: LimitViolation[];
}

/** Measures one PutLogEvents request body (already JSON-parsed) against the limits. Pure; `now` for the span. */
export function checkPutLogEvents(body: unknown, now: number = Date.now()): PutLogEventsCheck {
  const request = (body ?? {}) as { logGroupName?: unknown; logStreamName?: unknown; logEvents?: unknown };
  const logGroupName = String(request.logGroupName ?? '');
  const logStreamName = String(request.logStreamName ?? '');
  const violations: LimitViolation[] = [];
  const violate = (rule: LimitRule, message: string) => violations.push({ rule, logGroupName, logStreamName, message });
  const measurement: PutLogEventsMeasurement = { logGroupName, logStreamName, events: 0, messageBytes: 0, batchBytes: 0, largestEventBytes: 0, firstEventBytes: 0, chronological: true, spanMs: 0, forwarded: false };
  if (!Array.isArray(request.logEvents)) {
    violate('malformed', `logEvents is not a list (${typeof request.logEvents})`);
    return { measurement, violations };
  }
  const events = request.logEvents as Array<{ timestamp?: unknown; message?: unknown }>;
  measurement.events = events.length;
  let previous = -Infinity;
  let firstValid: number | undefined;
  let lastValid: number | undefined;
  for (const [index, event] of events.entries()) {
    if (typeof event?.message !== 'string' || typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
      violate('malformed', `logEvents[${index}] needs a string message and a numeric timestamp`);
      continue;
    }
    const bytes = Buffer.byteLength(event.message, 'utf8');
    measurement.messageBytes += bytes;
    measurement.largestEventBytes = Math.max(measurement.largestEventBytes, bytes + CWL_EVENT_OVERHEAD_BYTES);
    if (index === 0) measurement.firstEventBytes = bytes + CWL_EVENT_OVERHEAD_BYTES;
    if (bytes === 0) violate('empty-message', `1 validation error detected: Value '' at 'logEvents.${index + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    if (bytes + CWL_EVENT_OVERHEAD_BYTES > CWL_MAX_EVENT_BYTES) violate('event-size', `Log event too large: ${bytes + CWL_EVENT_OVERHEAD_BYTES} bytes exceeds limit of ${CWL_MAX_EVENT_BYTES} (logEvents[${index}]: ${bytes} UTF-8 bytes + ${CWL_EVENT_OVERHEAD_BYTES})`);
    if (event.timestamp < previous && measurement.chronological) {
      measurement.chronological = false;
      violate('chronological', `Log events in a single PutLogEvents request must be in chronological order (logEvents[${index}] at ${event.timestamp} follows ${previous})`);
    }
    previous = Math.max(previous, event.timestamp);
    if (event.timestamp >= now - TOO_OLD_MS && event.timestamp <= now + TOO_NEW_MS) {
      firstValid = Math.min(firstValid ?? event.timestamp, event.timestamp);
      lastValid = Math.max(lastValid ?? event.timestamp, event.timestamp);
    }
  }
  measurement.batchBytes = measurement.messageBytes + CWL_EVENT_OVERHEAD_BYTES * events.length;
  measurement.spanMs = firstValid === undefined || lastValid === undefined ? 0 : lastValid - firstValid;
  if (events.length === 0) violate('event-count', `1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  if (events.length > CWL_MAX_BATCH_EVENTS) violate('event-count', `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${CWL_MAX_BATCH_EVENTS} (${events.length} events)`);
  if (measurement.batchBytes > CWL_MAX_BATCH_BYTES) violate('batch-bytes', `Upload too large: ${measurement.batchBytes} bytes exceeds limit of ${CWL_MAX_BATCH_BYTES} (${measurement.messageBytes} UTF-8 message bytes + ${CWL_EVENT_OVERHEAD_BYTES} × ${events.length} events)`);
  if (measurement.spanMs > CWL_MAX_SPAN_MS) violate('span', `The batch of log events in a single PutLogEvents request cannot span more than 24 hours (${measurement.spanMs} ms)`);
  return { measurement, violations };
}

export interface CloudWatchLimitsProxy {
  endpoint: string;
  /** Where requests go (moto itself). */
  upstream: string;
  /** Every PutLogEvents call seen, in arrival order, including refused ones. */
  readonly puts: PutLogEventsMeasurement[];
  /** Every limit a call broke, in arrival order. */
  readonly violations: LimitViolation[];
  /** Returns the violations recorded so far and forgets them (a test that broke a limit on purpose). */
  takeViolations(): LimitViolation[];
  /** The calls to one stream (of one group, if given). */
  putsTo(logStreamName: string, logGroupName?: string): PutLogEventsMeasurement[];
  stop(): Promise<void>;
}

function decodeBody(req: IncomingMessage, body: Buffer): unknown {
  const raw = /gzip/i.test(String(req.headers['content-encoding'] ?? '')) ? gunzipSync(body) : body;
  return JSON.parse(raw.toString('utf8'));
}

function refuse(res: ServerResponse, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': 'limits-proxy', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startCloudWatchLimitsProxy(upstream: string, options: { now?: () => number } = {}): Promise<CloudWatchLimitsProxy> {
  const now = options.now ?? Date.now;
  const target = new URL(upstream);
  const puts: PutLogEventsMeasurement[] = [];
  const violations: LimitViolation[] = [];

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse): void => {
    const upstreamReq = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', () => req.socket.destroy());
    upstreamReq.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.headers['x-amz-target'] !== PUT_LOG_EVENTS_TARGET) return forward(req, body, res);
      let parsed: unknown;
      try {
        parsed = decodeBody(req, body);
      } catch (error) {
        violations.push({ rule: 'malformed', logGroupName: '', logStreamName: '', message: `PutLogEvents body is not JSON: ${(error as Error).message}` });
        return refuse(res, 'SerializationException', 'The request body is not valid JSON');
      }
      const check = checkPutLogEvents(parsed, now());
      puts.push(check.measurement);
      if (check.violations.length > 0) {
        violations.push(...check.violations);
        return refuse(res, 'InvalidParameterException', check.violations[0]!.message);
      }
      check.measurement.forwarded = true;
      forward(req, body, res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    upstream,
    puts,
    violations,
    takeViolations: () => violations.splice(0, violations.length),
    putsTo: (logStreamName, logGroupName) => puts.filter((p) => p.logStreamName === logStreamName && (logGroupName === undefined || p.logGroupName === logGroupName)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Violations as text, for an assertion message or an error. */
export function describeViolations(list: readonly LimitViolation[]): string {
  return list.map((v) => `${v.rule} in ${v.logGroupName} / ${v.logStreamName}: ${v.message}`).join('\n');
}
