/** Types of bench/nginx.mjs, for the tests that start nginx. */
export interface RunningNginx {
  url: string;
  /** The access log so far: one `<upstream address(es)> <status> <method> <path>` line per request. */
  accessLog(): string[];
  stop(): Promise<void>;
}

export function nginxSkipReason(): string | null;

export function startNginx(options: { port: number; upstreams: number[] }): Promise<RunningNginx>;
