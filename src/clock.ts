// Time is passed in (deps.clock) so tests can move it; stored times are whole seconds.
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export function epochSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
