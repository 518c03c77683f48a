/** One API request as `GET /_emulator/requests` reports it. */
export interface LoggedRequest {
  id: string;
  method: string;
  path: string;
  account: string | null;
  livemode: boolean | null;
  idempotency_key: string | null;
  /** Null while the request is being answered, or when a fault left it unanswered. */
  status: number | null;
  fault: string | null;
  created: number;
}

/** How many requests the log keeps; benchmarks make millions. */
const capacity = 10_000;

export class RequestLog {
  private entries: LoggedRequest[] = [];

  record(entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry);
    // Trimming in batches keeps the cost of a push constant.
    if (this.entries.length > capacity * 2) this.entries = this.entries.slice(-capacity);
    return entry;
  }

  list(filter: { account?: string; limit?: number }): LoggedRequest[] {
    let found = this.entries.slice(-capacity);
    if (filter.account !== undefined) {
      found = found.filter((entry) => entry.account === filter.account);
    }
    if (filter.limit !== undefined) found = found.slice(-filter.limit);
    return found.map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.entries = [];
  }
}
