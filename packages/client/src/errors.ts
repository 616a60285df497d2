/**
 * Every failure the client reports is a {@link GatehouseError}. HTTP error
 * responses are {@link HttpError}s (one small class per status the caller
 * usually handles), whose `code` and `message` are the server's own (the
 * `error` and `message` fields of a Gatehouse JSON error body); transport
 * failures are {@link NetworkError}, {@link TimeoutError} or {@link AbortError};
 * arguments refused before any request are {@link InvalidArgumentError}.
 *
 * `instanceof` is answered by a brand shared through `Symbol.for`, so an error
 * created by the CommonJS build is an instance of the ES module build's class
 * (and the other way round) when both end up loaded in one process. The brands
 * are derived from one table at the end of this file.
 */
import { parseChallenge, parseRetryAfter, type AuthChallenge } from "./headers";

export type { AuthChallenge } from "./headers";

const SERVER_CODES = [
  "bad_request",
  "credentials_required",
  "invalid_token",
  "unauthorized",
  "insufficient_scope",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "request_timeout",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "unprocessable_entity",
  "too_many_requests",
  "internal_error",
  "bad_gateway",
  "service_unavailable",
  "gateway_timeout",
] as const;

/**
 * The codes a Gatehouse server sends in its JSON error body's `error` field
 * (RFC 6750 names where they exist, express-jwt's otherwise), plus the usual
 * names of other statuses. A response without one of these gets its status's
 * code (`http_error` when the status has none); the raw body stays in `body`.
 *
 * @example
 * ```ts
 * const code: ServerErrorCode = "invalid_token";
 * ```
 */
export type ServerErrorCode = (typeof SERVER_CODES)[number];

/**
 * Every `code` an error of this client can have, a closed union: the server's
 * codes, `http_error`, and the client's own codes.
 *
 * @example
 * ```ts
 * function explain(err: GatehouseError): string {
 *   switch (err.code) {
 *     case "credentials_required": return "Please log in";
 *     case "invalid_token": return "Your session expired";
 *     case "too_many_requests": return "Slow down";
 *     case "network_error": return "You are offline";
 *     default: return err.message;
 *   }
 * }
 * ```
 */
export type ErrorCode = ServerErrorCode | "http_error" | "network_error" | "timeout" | "aborted" | "invalid_argument";

/**
 * What an error is built from (every field optional); useful to fake errors in tests.
 *
 * @example
 * ```ts
 * const details: ErrorDetails = { status: 404, body: { error: "not_found", message: "Thread t1 not found" } };
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
type Branded = Record<symbol, readonly string[] | undefined>;

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
    const own = Object.hasOwn(this.prototype, BRAND)
      ? (this.prototype as unknown as Branded)[BRAND]?.at(-1)
      : undefined;
    const kinds = (value as Branded | null | undefined)?.[BRAND];
    if (own === undefined || !Array.isArray(kinds)) return Function.prototype[Symbol.hasInstance].call(this, value);
    return kinds.includes(own);
  }

  /** Machine-readable: the server's `error` code for an HTTP error, the client's own code otherwise. */
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

/**
 * An HTTP response with an error status. `code` and `message` come from the
 * body (`{ "error": "invalid_token", "message": "…" }`, or LangGraph's
 * `{ "detail": "…" }`), else from the status. Statuses without a class of their
 * own (400, 422, 500, ...) are thrown as `HttpError` itself.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (err instanceof HttpError && err.status >= 500) retryLater(err.retryAfter);
 * }
 * ```
 */
export class HttpError extends GatehouseError {
  declare readonly status: number;
  declare readonly code: ServerErrorCode | "http_error";
  /** `Retry-After` in seconds (an HTTP date is converted), when the server sent it (429, 503). */
  readonly retryAfter: number | undefined;
  /** The raw `WWW-Authenticate` header, if the server sent one (401, 403). */
  readonly wwwAuthenticate: string | undefined;
  /** The first challenge of `WWW-Authenticate`, parsed. */
  readonly challenge: AuthChallenge | undefined;

  constructor(details: ErrorDetails = {}) {
    const status = details.status ?? statusOf(new.target) ?? 500;
    const body = details.body as Record<string, unknown> | string | null | undefined;
    const sent = body && typeof body === "object" ? body.error : undefined;
    const allowed = CODES_BY_STATUS[status];
    const code =
      (SERVER_CODES as readonly unknown[]).includes(sent) && (!allowed || allowed.includes(sent as ServerErrorCode))
        ? (sent as ServerErrorCode)
        : (DEFAULT_CODES[status] ?? "http_error");
    super(code, { ...details, status, message: details.message ?? serverMessage(body) ?? describe(details, status) });
    this.retryAfter = parseRetryAfter(this.headers["retry-after"]);
    this.wwwAuthenticate = this.headers["www-authenticate"];
    this.challenge = parseChallenge(this.wwwAuthenticate);
  }
}

/**
 * 401: the credential is missing (`credentials_required`), expired or invalid
 * (`invalid_token`). When a refresh failed, `cause` is the refresh error.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof UnauthorizedError && err.code === "invalid_token") logout(); }
 * ```
 */
export class UnauthorizedError extends HttpError {
  declare readonly status: 401;
  declare readonly code: "credentials_required" | "invalid_token" | "unauthorized";
}

/**
 * 403: authenticated, but not allowed. Never retried and never refreshed.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ForbiddenError) showNoAccess(err.message); }
 * ```
 */
export class ForbiddenError extends HttpError {
  declare readonly status: 403;
  declare readonly code: "forbidden" | "insufficient_scope";
}

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
  declare readonly code: "not_found";
}

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
  declare readonly code: "conflict";
}

/**
 * 429: too many requests; `retryAfter` says how long to wait. Idempotent
 * requests are retried first (see the `retries` option); this is thrown when
 * the retries ran out.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof RateLimitError) await sleep((err.retryAfter ?? 1) * 1000); }
 * ```
 */
export class RateLimitError extends HttpError {
  declare readonly status: 429;
  declare readonly code: "too_many_requests";
}

/**
 * No response: connection refused or reset, DNS failure, CORS rejection in a browser.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof NetworkError) showOffline(); }
 * ```
 */
export class NetworkError extends GatehouseError {
  declare readonly code: "network_error";
  constructor(details: ErrorDetails = {}) {
    super("network_error", { ...details, message: details.message ?? `${target(details)} failed: network error` });
  }
}

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
  declare readonly code: "timeout";
  constructor(details: ErrorDetails = {}) {
    super("timeout", { ...details, message: details.message ?? `${target(details)} timed out` });
  }
}

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
  declare readonly code: "aborted";
  constructor(details: ErrorDetails = {}) {
    super("aborted", { ...details, message: details.message ?? `${target(details)} aborted` });
  }
}

/**
 * An argument refused before any request was sent: an id that is empty, `.`
 * or `..` (it would leave its path segment), a malformed store namespace.
 *
 * @example
 * ```ts
 * await client.threads.delete("..").catch((err) => err instanceof InvalidArgumentError); // true, nothing sent
 * ```
 */
export class InvalidArgumentError extends GatehouseError {
  declare readonly code: "invalid_argument";
  constructor(message: string) {
    super("invalid_argument", { message });
  }
}

/** The class per status; `errorFromResponse` and the subclasses' default status read it. */
const BY_STATUS: ReadonlyMap<number, typeof HttpError> = new Map<number, typeof HttpError>([
  [401, UnauthorizedError],
  [403, ForbiddenError],
  [404, NotFoundError],
  [409, ConflictError],
  [429, RateLimitError],
]);

/** Names and brands, parents first (object keys survive minifiers, class names may not). */
const CLASSES = {
  GatehouseError,
  HttpError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  NetworkError,
  TimeoutError,
  AbortError,
  InvalidArgumentError,
};
for (const [name, cls] of Object.entries(CLASSES)) {
  const parent = Object.getPrototypeOf(cls.prototype) as Branded;
  Object.defineProperty(cls.prototype, BRAND, { value: Object.freeze([...(parent[BRAND] ?? []), name]) });
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

/**
 * The error class for an HTTP error status.
 *
 * @example
 * ```ts
 * errorFromResponse({ status: 404, body: { error: "not_found", message: "Thread not found" } }); // NotFoundError
 * ```
 */
export function errorFromResponse(details: ErrorDetails & { status: number }): HttpError {
  const cls = BY_STATUS.get(details.status) ?? HttpError;
  return new cls(details);
}

const DEFAULT_CODES: Record<number, ServerErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  408: "request_timeout",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
  429: "too_many_requests",
  500: "internal_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
};

/** The codes a status with a class of its own may carry (its class's `code` type says the same). */
const CODES_BY_STATUS: Record<number, readonly ServerErrorCode[]> = {
  401: ["credentials_required", "invalid_token", "unauthorized"],
  403: ["forbidden", "insufficient_scope"],
  404: ["not_found"],
  409: ["conflict"],
  429: ["too_many_requests"],
};

function statusOf(cls: unknown): number | undefined {
  for (const [status, c] of BY_STATUS) if (c === cls) return status;
  return undefined;
}

function target(d: ErrorDetails): string {
  return d.method && d.url ? `${d.method} ${d.url}` : "request";
}

/** The server's own words: `message` (Gatehouse), `detail` (LangGraph), `error_description` (OAuth), or a text body. */
function serverMessage(body: Record<string, unknown> | string | null | undefined): string | undefined {
  const text =
    typeof body === "string"
      ? /^\s*</.test(body)
        ? undefined
        : body
      : body && typeof body === "object"
        ? [body.message, body.detail, body.error_description].find((v) => typeof v === "string" && v)
        : undefined;
  return typeof text === "string" && text.trim() ? text.trim().slice(0, 500) : undefined;
}

function describe(d: ErrorDetails, status: number): string {
  return `${target(d)} failed with ${status}`;
}
