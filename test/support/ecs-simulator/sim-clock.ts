// The simulator's clock: real time, or real time sped up (a 25-minute silent step in seconds) for the idle and
// handshake timeouts. Only the simulator's own timeouts use it.
export interface SimClock {
  now(): number;
}

export const realClock: SimClock = { now: () => Date.now() };

/** `factor` simulated milliseconds pass per real millisecond. */
export function scaledClock(factor: number): SimClock {
  const origin = Date.now();
  return { now: () => origin + (Date.now() - origin) * factor };
}
