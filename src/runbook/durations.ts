// Step timeouts ("30s", "5m", "1h30m"; default 10m, at most 48h) and window timestamps (RFC 3339 with an
// offset). Each parser says why a text is refused, so the runbook error can name the exact problem.
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const MAX_TIMEOUT_SECONDS = 48 * 3600;
export const DURATION_FORMS = 'whole numbers of hours, minutes and seconds in that order, e.g. 30s, 5m, 1h30m (at most 48h)';

export type Parsed<T> = { value: T } | { problem: string };

/** Seconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const parsed = checkDuration(text);
  return 'value' in parsed ? parsed.value : undefined;
}

export function checkDuration(text: string): Parsed<number> {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return { problem: durationProblem(text) };
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (seconds === 0) return { problem: 'is zero; a step needs time to run' };
  if (seconds > MAX_TIMEOUT_SECONDS) return { problem: 'is longer than the 48h maximum' };
  return { value: seconds };
}

function durationProblem(text: string): string {
  if (/\d[.,]\d/.test(text)) return 'has a fraction; use whole units (1h30m, not 1.5h)';
  if (/\d\s*(d|days?|w|weeks?)\b/i.test(text)) return 'uses days or weeks; write hours instead (24h, at most 48h)';
  if (/\d\s*(ms|us|ns)\b/i.test(text)) return 'is below a second; the smallest unit is s';
  if (/^\d+$/.test(text.trim())) return 'has no unit; add s, m or h (e.g. 30s)';
  return 'is not a duration';
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function checkRfc3339(text: string): Parsed<number> {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))?$/.exec(text);
  if (!m) return { problem: 'is not an RFC 3339 timestamp' };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (!m[8]) return { problem: 'has no UTC offset, so it would mean a different time on every machine' };
  if (month < 1 || month > 12) return { problem: `has month ${m[2]}, which does not exist` };
  if (day < 1 || day > daysInMonth(year, month)) return { problem: `has day ${m[3]}, but ${MONTHS[month - 1]} ${year} has ${daysInMonth(year, month)} days` };
  if (hour > 23 || minute > 59 || second > 59) return { problem: `has the time ${m[4]}:${m[5]}:${m[6]}, which does not exist (hours 00-23, minutes and seconds 00-59)` };
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return { problem: `has the offset ${m[8]}, which does not exist (at most ±23:59)` };
  const ms = Date.parse(text.replace(' ', 'T'));
  if (Number.isNaN(ms)) return { problem: 'is not an RFC 3339 timestamp' };
  return { value: ms };
}
