// Rate-control and timeout arithmetic for SSM Run Command. Pure: no I/O.
import type { Step } from '../../runbook/model.js';
// No duration handed out may exceed one timer (src/ports/clock.ts).
import { MAX_TIMER_MS } from '../../ports/clock.js';

/** SendCommand accepts at most 50 InstanceIds per call. */
export const MAX_IDS_PER_SEND = 50;
/**
 * SSM refuses a document over 64 KB (MaxDocumentSizeExceeded) once the parameters are in it. AWS-RunShellScript's
 * own content is about 1 KB; opsgate keeps 4 KB for it, so the parameters it sends may take 60 KB.
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
export const MAX_PARAMETER_BYTES = MAX_DOCUMENT_BYTES - 4 * 1024;
/** SendCommand TimeoutSeconds (the delivery timeout) range. */
const MIN_DELIVERY_TIMEOUT_S = 30;
const MAX_DELIVERY_TIMEOUT_S = 2_592_000;
const DEFAULT_DELIVERY_TIMEOUT_S = 600;
/** AWS-RunShellScript executionTimeout maximum (48 h). */
const MAX_EXECUTION_TIMEOUT_S = 172_800;

type Limit = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** "10" or "10%", as MaxConcurrency / MaxErrors are written (the schema has already checked the pattern). */
function parseLimit(text: string): Limit {
  return text.endsWith('%') ? { kind: 'percent', value: Number(text.slice(0, -1)) } : { kind: 'count', value: Number(text) };
}

/** A limit as a number of instances out of `total`; a percentage rounds down, and never below `floor`. */
export function absoluteLimit(text: string, total: number, floor: number): number {
  const limit = parseLimit(text);
  if (limit.kind === 'count') return Math.max(floor, limit.value);
  return Math.max(floor, Math.floor((total * limit.value) / 100));
}

export function deliveryTimeoutSeconds(configured: number | undefined): number {
  return clamp(Math.round(configured ?? DEFAULT_DELIVERY_TIMEOUT_S), MIN_DELIVERY_TIMEOUT_S, MAX_DELIVERY_TIMEOUT_S);
}

/**
 * SendCommand's TimeoutSeconds for one batch. SSM lets a whole command live for the delivery timeout plus one
 * execution timeout, then marks invocations still pending as Delivery Timed Out; with rate control the last
 * round starts only after the earlier ones, so the window grows by one execution timeout per extra round.
 */
export function rolloutDeliverySeconds(deliverySeconds: number, executionSeconds: number, rounds: number | undefined): number {
  const extra = rounds === undefined ? 0 : Math.max(0, rounds - 1) * executionSeconds;
  return clamp(deliverySeconds + extra, MIN_DELIVERY_TIMEOUT_S, MAX_DELIVERY_TIMEOUT_S);
}

export function executionTimeoutSeconds(step: Step): number {
  return clamp(Math.ceil(step.timeoutSeconds), 1, MAX_EXECUTION_TIMEOUT_S);
}

/**
 * How many rounds of `concurrency` instances a command needs, at worst. With an unknown fleet size a
 * percentage still bounds it: p% of N rounded down is at least half of N·p/100 once it reaches 1, so
 * there are at most ceil(200/p) rounds; below that SSM runs one at a time and N < 100/p.
 */
export function worstCaseRounds(concurrency: string, total: number | undefined): number | undefined {
  const limit = parseLimit(concurrency);
  if (total !== undefined) return Math.max(1, Math.ceil(total / absoluteLimit(concurrency, total, 1)));
  return limit.kind === 'percent' ? Math.ceil(200 / limit.value) : undefined;
}

export interface DurationBoundInput {
  /** Instances per SendCommand, sent one after another; undefined when the fleet size is unknown. */
  batchSizes: number[] | undefined;
  /** MaxConcurrency as sent for each batch. */
  concurrency: string;
  deliverySeconds: number;
  executionSeconds: number;
  /** Polling lag and reading the output after the last instance ends. */
  slackMs: number;
}

/**
 * The longest a step can legitimately take: per batch, the delivery timeout plus one execution timeout per
 * round of `concurrency` instances. Unknown fleet size with a fixed concurrency has no bound we can compute
 * before sending, so it gets the largest timer; the executor then bounds its own wait from TargetCount.
 */
export function stepDurationBoundMs(input: DurationBoundInput): number {
  const sizes = input.batchSizes ?? [undefined];
  let seconds = 0;
  for (const size of sizes) {
    const rounds = worstCaseRounds(input.concurrency, size);
    if (rounds === undefined) return MAX_TIMER_MS;
    seconds += input.deliverySeconds + rounds * input.executionSeconds;
  }
  return Math.min(MAX_TIMER_MS, seconds * 1000 + input.slackMs);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
