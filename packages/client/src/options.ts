/**
 * `createClient`'s options, checked when it runs (not on the first request):
 * unknown names are refused with the list of accepted ones, like every other
 * option object Gatehouse takes.
 */
import type { ClientOptions } from "./client";
import { csrfSource } from "./csrf";
import { resolveBaseURL } from "./origin";
import { retryPolicy } from "./retry";
import { checkTimeout } from "./wire";

/** The options `createClient` accepts; anything else is refused with this list. */
export const CLIENT_OPTIONS = [
  "baseURL",
  "credentials",
  "refresh",
  "axios",
  "timeout",
  "headers",
  "retry",
  "withCredentials",
  "csrf",
  "refreshMargin",
  "expiresAt",
  "refreshLock",
  "fetch",
] as const;

export function checkOptions(options: ClientOptions) {
  if (options === null || typeof options !== "object") {
    throw new TypeError("createClient(options): expected an options object with a `baseURL`");
  }
  const unknown = Object.keys(options).filter((k) => !(CLIENT_OPTIONS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `createClient: unknown option(s) ${unknown.join(", ")}; accepted: ${CLIENT_OPTIONS.join(", ")}`,
    );
  }
  const base = resolveBaseURL(options.baseURL);
  const { credentials, refresh, expiresAt, withCredentials = false } = options;
  if (credentials !== undefined && typeof credentials !== "function") {
    throw new TypeError(
      "createClient: `credentials` must be a function: bearer(...), apiKey(...) or (request) => headers",
    );
  }
  if (refresh !== undefined && typeof refresh !== "function")
    throw new TypeError("createClient: `refresh` must be a function");
  if (expiresAt !== undefined && typeof expiresAt !== "function")
    throw new TypeError("createClient: `expiresAt` must be a function");
  if (typeof withCredentials !== "boolean") throw new TypeError("createClient: `withCredentials` must be a boolean");
  if (options.fetch !== undefined && typeof options.fetch !== "function")
    throw new TypeError("createClient: `fetch` must be a function");
  checkTimeout(options.timeout, "createClient: `timeout`");
  checkTimeout(options.refreshMargin, "createClient: `refreshMargin`");
  const { refreshLock } = options;
  if (refreshLock !== undefined && refreshLock !== false && (typeof refreshLock !== "string" || !refreshLock)) {
    throw new TypeError("createClient: `refreshLock` must be a lock name or false");
  }
  if (options.axios !== undefined && typeof options.axios?.request !== "function") {
    throw new TypeError("createClient: `axios` must be an axios instance (axios.create())");
  }
  return {
    base,
    credentials,
    refresh,
    expiresAt,
    withCredentials,
    policy: retryPolicy(options.retry, "createClient: `retry`"),
    csrf: csrfSource(options.csrf),
    margin: options.refreshMargin ?? 60_000,
    lockName: refreshLock === false ? undefined : (refreshLock ?? `@gatehouse/client refresh ${base.origin}`),
  };
}
