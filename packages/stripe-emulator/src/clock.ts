/** The emulator's clock: real time plus however far tests have advanced it. */
export interface EmulatorClock {
  /** Unix seconds. */
  now(): number;
  advance(seconds: number): number;
  /** How far tests have moved it, in seconds (kept in the state file). */
  offset(): number;
  reset(): void;
}

export function createClock(readRealSeconds: () => number = readSystemSeconds): EmulatorClock {
  let offsetSeconds = 0;
  return {
    now: function now() {
      return readRealSeconds() + offsetSeconds;
    },
    advance: function advance(seconds: number) {
      offsetSeconds += seconds;
      return readRealSeconds() + offsetSeconds;
    },
    offset: function offset() {
      return offsetSeconds;
    },
    reset: function reset() {
      offsetSeconds = 0;
    },
  };
}

function readSystemSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
