import { describe, expect, it } from 'vitest';
import { evaluateWindow, formatDuration, formatWindow, formatWindowTime } from '../../src/policy/window.js';

const window = { notBefore: '2026-11-24T00:00:00+02:00', notAfter: '2026-11-24T04:30:00+02:00' };

describe('evaluateWindow', () => {
  it('refuses before the window opens, saying when in UTC and in the runbook offset', () => {
    const d = evaluateWindow(window, new Date('2026-11-23T20:00:00Z'));
    expect(d.reasonCode).toBe('window-not-open');
    expect(d.message).toContain('2026-11-23 22:00 UTC (2026-11-24 00:00 +02:00)');
    expect(d.message).toContain('2h00m from now');
    expect(d.reasonCode === 'window-not-open' && d.opensAt.toISOString()).toBe('2026-11-23T22:00:00.000Z');
  });

  it('is ok inside the window, at both edges', () => {
    expect(evaluateWindow(window, new Date('2026-11-23T22:00:00Z')).reasonCode).toBe('ok');
    expect(evaluateWindow(window, new Date('2026-11-24T02:30:00Z')).reasonCode).toBe('ok');
    expect(evaluateWindow(undefined, new Date()).reasonCode).toBe('ok');
    expect(evaluateWindow({}, new Date()).message).toBe('no run window');
  });

  it('names the YAML keys and never suggests merging again (the merge already happened)', () => {
    const early = evaluateWindow(window, new Date('2026-11-23T20:00:00Z'));
    expect(early.message).toBe('the run window opens at 2026-11-23 22:00 UTC (2026-11-24 00:00 +02:00), 2h00m from now (it is 2026-11-23 20:00 UTC), set by `window.not-before`. Nothing ran.');
    const late = evaluateWindow(window, new Date('2026-11-24T03:00:00Z'));
    expect(late.message).toBe('the run window closed at 2026-11-24 02:30 UTC (2026-11-24 04:30 +02:00) (it is 2026-11-24 03:00 UTC), set by `window.not-after`. Nothing ran; to run it, open a new PR whose runbook has a later `window.not-after`.');
    for (const d of [early, late]) expect(d.message).not.toMatch(/merge again|notBefore|notAfter/);
  });

  it('refuses after the window closed', () => {
    const d = evaluateWindow(window, new Date('2026-11-24T02:30:01Z'));
    expect(d.reasonCode).toBe('window-closed');
    expect(d.message).toContain('2026-11-24 02:30 UTC (2026-11-24 04:30 +02:00)');
  });

  it('handles open-ended windows and negative offsets', () => {
    expect(evaluateWindow({ notAfter: '2026-01-01T00:00:00Z' }, new Date('2025-06-01T00:00:00Z')).reasonCode).toBe('ok');
    expect(formatWindowTime('2026-03-01T18:00:00-05:00')).toBe('2026-03-01 23:00 UTC (2026-03-01 18:00 -05:00)');
    expect(formatWindowTime('2026-03-01T18:00:00Z')).toBe('2026-03-01 18:00 UTC');
    expect(formatWindow({ notBefore: '2026-03-01T18:00:00Z' })).toBe('from 2026-03-01 18:00 UTC');
  });

  it('formats durations', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(130_000)).toBe('2m10s');
    expect(formatDuration(3 * 86400_000 + 4 * 3600_000)).toBe('3d4h');
  });
});
