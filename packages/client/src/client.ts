import type { AxiosInstance } from "axios";
import type { Credentials } from "./credentials";
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
  if (options === null || typeof options !== "object") {
    throw new TypeError("createClient(options): expected an options object with a `baseURL`");
  }
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
