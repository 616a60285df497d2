/**
 * Errors are data: an {@link HTTPException} carries a status, a machine-readable
 * code, a message safe to show the caller, and headers. Rendering them (JSON
 * body, RFC 6750 `WWW-Authenticate`) happens in one place, {@link toErrorResponse}.
 */

/** Machine-readable error codes, chosen to match express-jwt where the meaning is the same. */
export type ErrorCode =
  | "bad_request"
  | "credentials_required"
  | "invalid_token"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_many_requests"
  | "internal_error"
  | "service_unavailable"
  | (string & {});

const DEFAULT_CODES: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  429: "too_many_requests",
  500: "internal_error",
  503: "service_unavailable",
};

const DEFAULT_MESSAGES: Record<number, string> = {
  400: "Bad request",
  401: "Authentication required",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  429: "Too many requests",
  500: "Internal server error",
  503: "Service unavailable",
};

export interface HTTPExceptionOptions {
  /** Shown to the caller in the JSON body. Defaults to the status's reason phrase. */
  message?: string;
  /** Response headers, e.g. `{ "WWW-Authenticate": 'Bearer realm="api"' }`. */
  headers?: Record<string, string | string[]>;
  /** Machine-readable code for the JSON body's `error` field. Defaults by status. */
  code?: ErrorCode;
  /** The underlying error, kept for logs and never sent to the caller. */
  cause?: unknown;
}

/**
 * An error with an HTTP status. Throw it from an authenticate function or an
 * authorization handler to answer with exactly that status, message and headers.
 *
 * @example
 * import { HTTPException } from "@gatehouse/express";
 * auth.authenticate(async (req) => {
 *   const key = req.headers["x-api-key"];
 *   if (key !== process.env.API_KEY) {
 *     throw new HTTPException(401, { message: "Invalid API key" });
 *   }
 *   return "service-account";
 * });
 */
export class HTTPException extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string | string[]>;

  constructor(status: number, options: HTTPExceptionOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new TypeError(`HTTPException status must be an integer from 400 to 599, got ${String(status)}`);
    }
    super(options.message ?? DEFAULT_MESSAGES[status] ?? `HTTP ${status}`, { cause: options.cause });
    this.name = "HTTPException";
    this.status = status;
    this.code = options.code ?? DEFAULT_CODES[status] ?? (status >= 500 ? "internal_error" : "bad_request");
    this.headers = { ...options.headers };
  }
}

/** True for an {@link HTTPException}, also one from another copy of this package. */
export function isHTTPException(err: unknown): err is HTTPException {
  return (
    err instanceof HTTPException ||
    (err instanceof Error &&
      err.name === "HTTPException" &&
      typeof (err as HTTPException).status === "number" &&
      typeof (err as HTTPException).code === "string")
  );
}

/** What an adapter writes to the wire for an error. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: { error: ErrorCode; message: string };
}

/**
 * Turns anything thrown into a response that is safe to send: an
 * {@link HTTPException} keeps its status, code, message and headers; anything
 * else becomes a generic 500 (its message and stack are never exposed).
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (isHTTPException(err)) {
    return { status: err.status, headers: err.headers, body: { error: err.code, message: err.message } };
  }
  return { status: 500, headers: {}, body: { error: "internal_error", message: DEFAULT_MESSAGES[500] } };
}

/** Keeps an RFC 6750 quoted-string value inside its quotes: printable ASCII only, no `"` or `\`. */
function quoteSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]|["\\]/g, "").slice(0, 200);
}

/**
 * Builds an RFC 6750 `WWW-Authenticate` challenge. Without `error` it is the
 * bare challenge for a request that sent no credential.
 *
 * @example
 * bearerChallenge("api");                                  // Bearer realm="api"
 * bearerChallenge("api", "invalid_token", "jwt expired");  // Bearer realm="api", error="invalid_token", error_description="jwt expired"
 */
export function bearerChallenge(realm: string, error?: string, description?: string): string {
  let challenge = `Bearer realm="${quoteSafe(realm)}"`;
  if (error) challenge += `, error="${quoteSafe(error)}"`;
  if (error && description) challenge += `, error_description="${quoteSafe(description)}"`;
  return challenge;
}
