/** Runs `work` unless work under the same key runs in this instance already; then answers that. */
export type Once = <T>(key: string, work: () => Promise<T>) => Promise<T>;

/** Payments being made by this instance: a second click waits for the first. */
export function createOnce(): Once {
  const inFlight = new Map<string, Promise<unknown>>();
  return function once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}
