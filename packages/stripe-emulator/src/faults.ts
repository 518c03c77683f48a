/** Failures a test asks for: matching API requests fail this way until used up or cleared. */
export type FaultKind = 'server_error' | 'rate_limit' | 'timeout' | 'connection_reset';

export interface Fault {
  id: string;
  account: string;
  fault: FaultKind;
  /**
   * Fail after the request was carried out (objects made, card charged, the idempotent result
   * stored), as when Stripe did the work and its answer was lost.
   */
  after: boolean;
  /** How many more requests fail; null until cleared. */
  remaining: number | null;
  path: string | null;
}

export class FaultPlan {
  private faults: Fault[] = [];

  add(fault: Fault): Fault {
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  clear(): number {
    const count = this.faults.length;
    this.faults = [];
    return count;
  }

  /**
   * The fault that hits this request, if any, counting it as used. A fault for an account
   * matches requests made with its keys and requests acting on it through `Stripe-Account`.
   */
  take(accountIds: readonly string[], path: string): Fault | undefined {
    if (this.faults.length === 0) return undefined;
    const index = this.faults.findIndex(
      (fault) =>
        (fault.account === '*' || accountIds.includes(fault.account)) &&
        (fault.path === null ||
          path === fault.path ||
          path.startsWith(`${fault.path}/`) ||
          path.startsWith(`${fault.path}?`)),
    );
    const fault = this.faults[index];
    if (fault === undefined) return undefined;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults.splice(index, 1);
    }
    return { ...fault };
  }
}
