/**
 * What the API server needs from the webhook side (webhooks.ts implements it): endpoints, events,
 * and delivery. Written down here so the server depends on the shape, not on the class.
 */
export interface PublishInput {
  accountId: string;
  livemode: boolean;
  type: string;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  platformAccountId?: string | null;
}

export interface EndpointInput {
  url: string;
  enabled_events: string[];
  connect?: boolean;
  description?: string;
  metadata?: Record<string, string>;
  /** Events are rendered at this version; absent: the account's default (`null` on the object). */
  api_version?: string | undefined;
}

export interface EndpointUpdate {
  url?: string;
  enabled_events?: string[];
  disabled?: boolean;
  description?: string;
  metadata?: Record<string, string>;
}

export interface EventHub {
  createEndpoint(
    accountId: string,
    livemode: boolean,
    params: EndpointInput,
  ): Record<string, unknown>;
  retrieveEndpoint(
    accountId: string,
    livemode: boolean,
    id: string,
  ): Record<string, unknown> | undefined;
  listEndpoints(accountId: string, livemode: boolean): Record<string, unknown>[];
  updateEndpoint(
    accountId: string,
    livemode: boolean,
    id: string,
    params: EndpointUpdate,
  ): Record<string, unknown> | undefined;
  deleteEndpoint(
    accountId: string,
    livemode: boolean,
    id: string,
  ): Record<string, unknown> | undefined;
  publish(input: PublishInput): Record<string, unknown>;
  retrieveEvent(
    accountId: string,
    livemode: boolean,
    id: string,
  ): Record<string, unknown> | undefined;
  listEvents(
    accountId: string,
    livemode: boolean,
    filter: { type?: string; deliverySuccess?: boolean },
  ): Record<string, unknown>[];
  /** Each event with its delivery state per endpoint (pending, succeeded, failed) and attempts. */
  eventDeliveries(accountId: string, livemode: boolean): Record<string, unknown>[];
  /** Sends the retries that fall due once the emulator's clock has been advanced. */
  sendDueRetries(): void;
  setChaos(chaos: {
    duplicates?: number;
    shuffle?: boolean;
    drop?: number;
    failing?: boolean;
  }): void;
  /** The dashboard's "Roll secret": deliveries are signed with a new secret from now on. */
  rollEndpointSecret(id: string): Record<string, unknown> | undefined;
  deliveries(): Record<string, unknown>[];
  idle(): Promise<void>;
  reset(): void;
  close(): void;
}
