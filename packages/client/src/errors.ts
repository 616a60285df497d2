/**
 * Every failure the client reports is a {@link GatehouseError}: HTTP responses
 * become one class per status family, transport failures become
 * {@link NetworkError}, {@link TimeoutError} or {@link AbortError}.
 *
 * `instanceof` is answered by a brand shared through `Symbol.for`, so an error
 * created by the CommonJS build is an instance of the ES module build's class
 * (and the other way round) when both end up loaded in one process.
 */
import { parseChallenge, parseRetryAfter, type AuthChallenge } from "./headers";

export type { AuthChallenge } from "./headers";

/**
 * The machine-readable `code` of each error class; switch on it or use `instanceof`.
 *
 * @example
 * ```ts
 * if (err instanceof GatehouseError && err.code === "rate_limited") backOff();
 * ```
 */
export type ErrorCode =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "http_error"
  | "network_error"
  | "timeout"
  | "aborted";

/**
 * What an error is built from (every field optional); useful to fake errors in tests.
 *
 * @example
 * ```ts
 * const details: ErrorDetails = { status: 404, body: { message: "Thread t1 not found" } };
 * throw errorFromResponse({ ...details, status: 404 });
 * ```
 */
export interface ErrorDetails {
  message?: string;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  method?: string;
  url?: string;
  cause?: unknown;
}

const BRAND = Symbol.for("@gatehouse/client.error");

function brand(cls: { prototype: object }, kinds: readonly string[]): void {
  Object.defineProperty(cls.prototype, BRAND, { value: Object.freeze([...kinds]) });
  Object.defineProperty(cls.prototype, "name", { value: kinds.at(-1), writable: true, configurable: true });
}

/**
 * Base class of every error thrown by the client.
 *
 * @example
 * ```ts
 * try {
 *   await client.threads.get(id);
 * } catch (err) {
 *   if (err instanceof GatehouseError) console.log(err.code, err.status, err.body);
 * }
 * ```
 */
export class GatehouseError extends Error {
  /** Answers `instanceof` by brand, so it holds across the ESM and CJS builds. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const own: unknown = Object.prototype.hasOwnProperty.call(this.prototype, BRAND)
      ? (this.prototype as unknown as Record<symbol, readonly string[]>)[BRAND].at(-1)
      : undefined;
    const kinds = (value as Record<symbol, unknown> | null | undefined)?.[BRAND];
    if (own === undefined || !Array.isArray(kinds)) {
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    return kinds.includes(own);
  }

  readonly code: ErrorCode;
  /** The HTTP status, or `undefined` when no response arrived. */
  readonly status: number | undefined;
  /** The response body (parsed JSON when it was JSON), or `undefined`. */
  readonly body: unknown;
  /** The response headers, lower-cased; empty when no response arrived. */
  readonly headers: Record<string, string>;
  /** The request's method (upper case) and absolute URL, when known. */
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(code: ErrorCode, details: ErrorDetails = {}) {
    super(details.message ?? code, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.body = details.body;
    this.headers = details.headers ?? {};
    this.method = details.method;
    this.url = details.url;
  }
}
brand(GatehouseError, ["GatehouseError"]);

/**
 * An HTTP response with an error status. Statuses without a class of their
 * own (400, 422, 500, ...) are thrown as `HttpError` itself.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof HttpError && err.status >= 500) retryLater();
 * }
 * ```
 */
export class HttpError extends GatehouseError {
  declare readonly status: number;
  constructor(details: ErrorDetails & { status: number }, code: ErrorCode = "http_error") {
    super(code, { ...details, message: details.message ?? describe(details) });
  }
}
brand(HttpError, ["GatehouseError", "HttpError"]);

/**
 * 401: the credential is missing, expired or invalid. `challenge` is the
 * parsed `WWW-Authenticate` header (RFC 6750 says why: `invalid_token`, ...).
 * When a refresh failed, `cause` is the refresh error.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof UnauthorizedError && err.challenge?.params.error === "invalid_token") logout();
 * }
 * ```
 */
export class UnauthorizedError extends HttpError {
  declare readonly status: 401;
  /** The raw `WWW-Authenticate` header, if the server sent one. */
  readonly wwwAuthenticate: string | undefined;
  /** The first challenge of `WWW-Authenticate`, parsed. */
  readonly challenge: AuthChallenge | undefined;
  constructor(details: ErrorDetails = {}) {
    super({ ...details, status: 401 }, "unauthorized");
    this.wwwAuthenticate = this.headers["www-authenticate"];
    this.challenge = parseChallenge(this.wwwAuthenticate);
  }
}
brand(UnauthorizedError, ["GatehouseError", "HttpError", "UnauthorizedError"]);

/**
 * 403: authenticated, but not allowed. Never retried and never refreshed.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ForbiddenError) showNoAccess(); }
 * ```
 */
export class ForbiddenError extends HttpError {
  declare readonly status: 403;
  constructor(details: ErrorDetails = {}) {
    super({ ...details, status: 403 }, "forbidden");
  }
}
brand(ForbiddenError, ["GatehouseError", "HttpError", "ForbiddenError"]);

/**
 * 404: the resource does not exist, or is not visible to this caller.
 *
 * @example
 * ```ts
 * const thread = await client.threads.get(id).catch((err) => {
 *   if (err instanceof NotFoundError) return undefined;
 *   throw err;
 * });
 * ```
 */
export class NotFoundError extends HttpError {
  declare readonly status: 404;
  constructor(details: ErrorDetails = {}) {
    super({ ...details, status: 404 }, "not_found");
  }
}
brand(NotFoundError, ["GatehouseError", "HttpError", "NotFoundError"]);

/**
 * 409: the resource already exists (e.g. a caller-chosen `thread_id`).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ConflictError) return client.threads.get(id); }
 * ```
 */
export class ConflictError extends HttpError {
  declare readonly status: 409;
  constructor(details: ErrorDetails = {}) {
    super({ ...details, status: 409 }, "conflict");
  }
}
brand(ConflictError, ["GatehouseError", "HttpError", "ConflictError"]);

/**
 * 429: too many requests. `retryAfter` is the `Retry-After` header in
 * seconds (an HTTP date is converted), or `undefined`.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof RateLimitError) await sleep((err.retryAfter ?? 1) * 1000);
 * }
 * ```
 */
export class RateLimitError extends HttpError {
  declare readonly status: 429;
  readonly retryAfter: number | undefined;
  constructor(details: ErrorDetails = {}) {
    super({ ...details, status: 429 }, "rate_limited");
    this.retryAfter = parseRetryAfter(this.headers["retry-after"]);
  }
}
brand(RateLimitError, ["GatehouseError", "HttpError", "RateLimitError"]);

/**
 * No response: connection refused or reset, DNS failure, CORS rejection in a browser.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof NetworkError) showOffline(); }
 * ```
 */
export class NetworkError extends GatehouseError {
  constructor(details: ErrorDetails = {}) {
    super("network_error", { ...details, message: details.message ?? `${target(details)} failed: network error` });
  }
}
brand(NetworkError, ["GatehouseError", "NetworkError"]);

/**
 * The request took longer than the client's (or the call's) `timeout`.
 *
 * @example
 * ```ts
 * const client = createClient({ baseURL, timeout: 5_000 });
 * catch (err) { if (err instanceof TimeoutError) retry(); }
 * ```
 */
export class TimeoutError extends GatehouseError {
  constructor(details: ErrorDetails = {}) {
    super("timeout", { ...details, message: details.message ?? `${target(details)} timed out` });
  }
}
brand(TimeoutError, ["GatehouseError", "TimeoutError"]);

/**
 * The caller's `AbortSignal` fired; `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const p = client.threads.search({}, { signal: ac.signal });
 * ac.abort();
 * await p.catch((err) => err instanceof AbortError); // true
 * ```
 */
export class AbortError extends GatehouseError {
  constructor(details: ErrorDetails = {}) {
    super("aborted", { ...details, message: details.message ?? `${target(details)} aborted` });
  }
}
brand(AbortError, ["GatehouseError", "AbortError"]);

/**
 * The error class for an HTTP error status.
 *
 * @example
 * ```ts
 * errorFromResponse({ status: 404, body: { detail: "Thread not found" } }); // NotFoundError
 * ```
 */
export function errorFromResponse(details: ErrorDetails & { status: number }): HttpError {
  switch (details.status) {
    case 401: return new UnauthorizedError(details);
    case 403: return new ForbiddenError(details);
    case 404: return new NotFoundError(details);
    case 409: return new ConflictError(details);
    case 429: return new RateLimitError(details);
    default: return new HttpError(details);
  }
}

function target(d: ErrorDetails): string {
  return d.method && d.url ? `${d.method} ${d.url}` : "request";
}

function describe(d: ErrorDetails & { status: number }): string {
  const b = d.body as Record<string, unknown> | string | undefined;
  const detail =
    typeof b === "string" ? b :
    b && typeof b === "object" ? (b.detail ?? b.message ?? b.error_description ?? b.error) : undefined;
  const text = typeof detail === "string" && detail ? `: ${detail.slice(0, 200)}` : "";
  return `${target(d)} failed with ${d.status}${text}`;
}
