// Plain-text descriptions of plan facts, shared by the plan comment and the status line: durations the way
// runbooks write them ("10m", "1h30m") and windows in UTC and in the author's own offset. Pure.
import type { PlannedWindow } from './plan.js';

/** 600 -> "10m", 5400 -> "1h30m", 45 -> "45s". */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}

/** 7200 -> "2 h", 5400 -> "1 h 30 min", 900 -> "15 min". */
function formatSpan(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ') || '0 min';
}

interface Instant {
  ms: number;
  /** "+09:00", or "" when the author wrote UTC. */
  offset: string;
}

function instantOf(text: string | undefined): Instant | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const offset = /([+-]\d{2}:\d{2})$/.exec(text)?.[1] ?? '';
  return { ms, offset: offset === '+00:00' || offset === '-00:00' ? '' : offset };
}

/** Date and time parts of an instant seen at an offset ("2026-11-23", "10:00"). */
function partsAt(instant: Instant, offset: string): { date: string; time: string } {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hh = 0, mm = 0] = offset ? offset.slice(1).split(':').map(Number) : [];
  const shifted = new Date(instant.ms + sign * (hh * 60 + mm) * 60_000).toISOString();
  return { date: shifted.slice(0, 10), time: shifted.slice(11, 16) };
}

function range(from: Instant, to: Instant, offset: string, label: string): string {
  const a = partsAt(from, offset);
  const b = partsAt(to, offset);
  return a.date === b.date ? `${a.date} ${a.time}–${b.time} ${label}` : `${a.date} ${a.time} – ${b.date} ${b.time} ${label}`;
}

/** The same range at the author's offset; the date is repeated only when it differs from the UTC one. */
function localRange(from: Instant, to: Instant, offset: string): string {
  const full = range(from, to, offset, offset);
  const sameDates = partsAt(from, offset).date === partsAt(from, '').date && partsAt(to, offset).date === partsAt(from, offset).date;
  return sameDates ? full.slice('YYYY-MM-DD '.length) : full;
}

function single(instant: Instant, offset: string, label: string): string {
  const p = partsAt(instant, offset);
  return `${p.date} ${p.time} ${label}`;
}

/**
 * "2026-11-23 01:00–03:00 UTC (10:00–12:00 +09:00), 2 h"; "from 2026-11-23 01:00 UTC"; "no window (runs on merge)".
 * The author's offset is shown only when it is not UTC.
 */
export function describeWindow(window: PlannedWindow | undefined): string {
  const from = instantOf(window?.notBefore);
  const to = instantOf(window?.notAfter);
  if (!from && !to) return 'no window (runs on merge)';
  const offset = from?.offset || to?.offset || '';
  if (from && to) {
    const local = offset ? ` (${localRange(from, to, offset)})` : '';
    return `${range(from, to, '', 'UTC')}${local}, ${formatSpan(to.ms - from.ms)}`;
  }
  const [word, instant] = from ? ['from', from] : ['until', to!];
  const local = offset ? ` (${single(instant, offset, offset)})` : '';
  return `${word} ${single(instant, '', 'UTC')}${local}`;
}
