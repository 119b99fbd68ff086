/** Time, injected so expiry and timeouts are tested without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Calls `fire` once `ms` of wall time have passed, unless the cancel it returns is called first. Injected where a
 * deadline guards against a call that hangs (which moves no `Clock`), so tests end it at once instead of waiting.
 */
export type StartTimer = (fire: () => void, ms: number) => () => void;

export const wallTimer: StartTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};
