// The runbook's time window. Pure: the caller passes "now". Times are shown in UTC and in the offset the
// runbook author wrote, so a reviewer in Berlin and a runner in UTC read the same instant. Messages state the
// facts and the YAML keys; how to run later depends on the caller (merge phase: a re-run; CLI: run again).
import type { RunbookWindow } from '../runbook/model.js';

export type WindowDecision =
  | { reasonCode: 'ok'; message: string }
  | { reasonCode: 'window-not-open'; message: string; opensAt: Date }
  | { reasonCode: 'window-closed'; message: string; closedAt: Date };

export function evaluateWindow(window: RunbookWindow | undefined, now: Date): WindowDecision {
  const notBefore = window?.notBefore ? parseInstant(window.notBefore) : undefined;
  const notAfter = window?.notAfter ? parseInstant(window.notAfter) : undefined;
  if (notBefore && now.getTime() < notBefore.getTime()) {
    return {
      reasonCode: 'window-not-open',
      message: `the run window opens at ${formatWindowTime(window!.notBefore!)}, ${formatDuration(notBefore.getTime() - now.getTime())} from now (it is ${formatUtc(now)}), set by \`window.not-before\`. Nothing ran.`,
      opensAt: notBefore,
    };
  }
  if (notAfter && now.getTime() > notAfter.getTime()) {
    return {
      reasonCode: 'window-closed',
      message: `the run window closed at ${formatWindowTime(window!.notAfter!)} (it is ${formatUtc(now)}), set by \`window.not-after\`. Nothing ran; to run it, open a new PR whose runbook has a later \`window.not-after\`.`,
      closedAt: notAfter,
    };
  }
  return { reasonCode: 'ok', message: window && (notBefore || notAfter) ? `inside the run window (${formatWindow(window)})` : 'no run window' };
}

/** Parses RFC 3339 text; throws on text the runbook loader should have rejected. */
export function parseInstant(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`not an RFC 3339 date-time: ${text}`);
  return date;
}

/** The offset the author wrote ("+02:00"), or null for "Z" / no offset. */
export function writtenOffset(text: string): string | null {
  const match = /([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!match || (match[2] === '00' && match[3] === '00')) return null;
  return `${match[1]}${match[2]}:${match[3]}`;
}

export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "2026-11-23 22:00 UTC (2026-11-24 00:00 +02:00)"; just UTC when the author wrote UTC. */
export function formatWindowTime(text: string): string {
  const date = parseInstant(text);
  const offset = writtenOffset(text);
  if (!offset) return formatUtc(date);
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  const local = new Date(date.getTime() + minutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  return `${formatUtc(date)} (${local} ${offset})`;
}

/** "from 2026-11-23 22:00 UTC until 2026-11-24 02:00 UTC" for the plan. */
export function formatWindow(window: RunbookWindow): string {
  const parts: string[] = [];
  if (window.notBefore) parts.push(`from ${formatWindowTime(window.notBefore)}`);
  if (window.notAfter) parts.push(`until ${formatWindowTime(window.notAfter)}`);
  return parts.join(' ') || 'any time';
}

/** "2h05m", "3m10s", "45s", "3d4h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
