/** The time source, passed in so tests and the circuit breaker can control it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
