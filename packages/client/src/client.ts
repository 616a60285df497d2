import type { AxiosInstance } from "axios";
import type { Credentials } from "./credentials";
import type { CsrfOptions } from "./csrf";
import type { RetryOptions } from "./retry";
import { createTransport, type Refresh, type RequestConfig } from "./http";
import { assistantsResource, type AssistantsResource } from "./resources/assistants";
import { cronsResource, type CronsResource } from "./resources/crons";
import { runsResource, type RunsResource } from "./resources/runs";
import { storeResource, type StoreResource } from "./resources/store";
import { threadsResource, type ThreadsResource } from "./resources/threads";

/**
 * Options of {@link createClient}. Only `baseURL` is required.
 *
 * @example
 * ```ts
 * const options: ClientOptions = {
 *   baseURL: "https://api.example.com",
 *   credentials: bearer(() => session.accessToken),
 *   refresh: async () => { session.accessToken = await renew(); },
 *   timeout: 10_000,
 * };
 * ```
 */
export interface ClientOptions {
  /** The API's URL, e.g. `http://localhost:8123` (in a browser it may be relative: `/api`). */
  baseURL: string;
  /** Headers for the client's own origin only: `bearer(...)`, `apiKey(...)` or `(request) => headers`. */
  credentials?: Credentials;
  /** Called once per burst of 401s; each failed request is then retried once. */
  refresh?: Refresh;
  /** Your own axios instance (its interceptors and adapter are used; it is not modified). */
  axios?: AxiosInstance;
  /** Milliseconds per attempt before a `TimeoutError`; none by default. */
  timeout?: number;
  /** Headers sent with every request, to any origin (put secrets in `credentials`). */
  headers?: Record<string, string>;
  /**
   * Retries of idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) on 429, 502, 503, 504
   * and network errors: a limit (default 2), `{ limit, baseDelay, maxDelay }`, or `false`.
   */
  retry?: number | RetryOptions | false;
  /** Cookie sessions: send the browser's cookies to a cross-origin `baseURL` too (default false). */
  withCredentials?: boolean;
  /** Cookie sessions: the CSRF header for unsafe methods, sent to the client's own origin only. */
  csrf?: CsrfOptions;
  /** Refresh this many milliseconds before the credential expires (default 60 000; 0 turns it off). */
  refreshMargin?: number;
  /** When the credential expires (epoch ms or a Date), if it is not a JWT with `exp`. */
  expiresAt?: () => number | Date | null | undefined | Promise<number | Date | null | undefined>;
  /** The Web Lock name that keeps browser tabs from refreshing at once, or `false` for none. */
  refreshLock?: string | false;
  /** The `fetch` that streams use (default: the global one). */
  fetch?: typeof fetch;
}

/**
 * A client made by {@link createClient}.
 *
 * @example
 * ```ts
 * async function listTopics(client: Client) {
 *   return (await client.threads.search({ limit: 100 })).map((t) => t.metadata.topic);
 * }
 * ```
 */
export interface Client {
  /** The resolved base URL. */
  readonly baseURL: string;
  readonly threads: ThreadsResource;
  readonly runs: RunsResource;
  readonly assistants: AssistantsResource;
  readonly crons: CronsResource;
  readonly store: StoreResource;
  /**
   * Any other route, with the same credentials, refresh, timeout and typed
   * errors; resolves with the response body.
   *
   * @example
   * ```ts
   * const info = await client.request<{ version: string }>({ method: "GET", url: "/info" });
   * ```
   */
  request<T = unknown>(config: RequestConfig): Promise<T>;
}

/**
 * Create a client for a Gatehouse-protected, LangGraph-style API. Options are
 * checked here, not on the first request; the options object is not kept or
 * modified.
 *
 * @example
 * ```ts
 * import { createClient, bearer } from "@gatehouse/client";
 *
 * const client = createClient({
 *   baseURL: "http://localhost:8123",
 *   credentials: bearer(() => session.accessToken),
 *   refresh: async () => session.refresh(),
 * });
 * const thread = await client.threads.create({ metadata: { topic: "tax" } });
 * ```
 */
export function createClient(options: ClientOptions): Client {
  const transport = createTransport(options);
  return Object.freeze({
    baseURL: transport.baseURL,
    threads: threadsResource(transport),
    runs: runsResource(transport),
    assistants: assistantsResource(transport),
    crons: cronsResource(transport),
    store: storeResource(transport),
    request: <T = unknown>(config: RequestConfig) => transport.request<T>(config),
  });
}
