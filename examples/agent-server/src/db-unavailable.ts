/**
 * Telling "the database is not there" from "the database refused this
 * statement": the first is a 503 (try again later), the second a 500 or 400.
 */

/** The database cannot be reached, or went away (e.g. the PGlite worker exited). */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

/** Socket-level failures Node reports while connecting to or talking with PostgreSQL. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);

/**
 * SQLSTATEs meaning the server is unavailable rather than the statement wrong:
 * class 08 (connection exception), 57P01–57P03 (shutting down, crashed,
 * starting up), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;

/** What `pg` says, without a code, when a connection drops or cannot be made in time. */
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

/**
 * Whether `err` means the database is unavailable (answer 503), as opposed to a
 * statement it refused (a bug or bad input).
 *
 * @example
 * isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })); // true
 * isDatabaseUnavailable(Object.assign(new Error("syntax error"), { code: "42601" }));                               // false
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  // Duck-typed, not `instanceof Error`: socket errors come from Node's own realm (not the same Error under jest or vm).
  if (err === null || typeof err !== "object") return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === "string" && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (
    code === undefined &&
    typeof message === "string" &&
    PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(message))
  )
    return true;
  // Node reports a failed connect to several addresses as an AggregateError of socket errors.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnavailable);
}
