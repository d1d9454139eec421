// Retransmission timeout estimator (protocol doc section 5; same constants as plugin and agent).
export const INITIAL_RTT_MS = 100;
export const INITIAL_RTO_MS = 200;
export const MIN_RTTVAR_TERM_MS = 10;
export const MAX_RTO_MS = 1000;

export interface RtoState {
  rttMs: number;
  rttVarMs: number;
  rtoMs: number;
}

export function initialRtoState(): RtoState {
  return { rttMs: INITIAL_RTT_MS, rttVarMs: 0, rtoMs: INITIAL_RTO_MS };
}

/** New estimate after one round-trip sample (RFC 6298 style gains ¼ and ⅛, floor 10 ms, cap 1 s). */
export function updateRto(state: RtoState, sampleMs: number): RtoState {
  const rttVarMs = 0.75 * state.rttVarMs + 0.25 * Math.abs(state.rttMs - sampleMs);
  const rttMs = 0.875 * state.rttMs + 0.125 * sampleMs;
  const rtoMs = Math.min(MAX_RTO_MS, rttMs + Math.max(MIN_RTTVAR_TERM_MS, 4 * rttVarMs));
  return { rttMs, rttVarMs, rtoMs };
}
