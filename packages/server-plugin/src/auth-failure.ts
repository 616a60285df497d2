/**
 * What a 401 says when no strategy accepted the request: `credentials_required`
 * when nothing was presented, `invalid_token` when a credential was presented
 * and rejected; a short fixed description per failure kind (never a library's
 * message: those name audiences, issuers or internal addresses, and go to the
 * log); and every strategy's challenge in one `WWW-Authenticate` header.
 */
import type { IncomingMessage } from "node:http";
import type { Strategy } from "passport";
import { HTTPException, bearerChallenge, isHTTPException } from "./errors";
import { isUsableText } from "./user";

/** One strategy's `fail()` or `pass()`. */
export interface Failure {
  readonly challenge: unknown;
  readonly status: number | undefined;
  readonly strategy: Strategy;
  readonly label: string;
}

/** The fixed descriptions, one per failure kind. */
export const FAILURE_DESCRIPTIONS = Object.freeze({
  expired: "The token has expired",
  notYetValid: "The token is not valid yet",
  invalid: "The credentials are invalid",
  missing: "Authentication required: send credentials",
});

/** Messages of strategies that mean "nothing presented" (passport-jwt, passport-headerapikey, passport-http). */
const MISSING = /^(no auth token|missing (api key|credentials?|token))$/i;

function messageOf(challenge: unknown): string | undefined {
  if (challenge && typeof challenge === "object" && typeof (challenge as { message?: unknown }).message === "string")
    return (challenge as { message: string }).message;
  return undefined;
}

/** Whether this failure is about a credential the caller presented (and the strategy rejected). */
export function presentedCredential(failure: Failure, req: IncomingMessage): boolean {
  const { challenge } = failure;
  if (challenge === undefined || challenge === null) {
    // A strategy that rejects without saying why (passport-headerapikey's verify returning false): was its header sent?
    const header = apiKeyHeader(failure.strategy);
    return header !== undefined && req.headers[header] !== undefined;
  }
  if (typeof challenge === "string") return /\berror="/.test(challenge);
  const message = messageOf(challenge);
  return !(message !== undefined && MISSING.test(message.trim()));
}

function describe(challenge: unknown): string {
  const name = challenge && typeof challenge === "object" ? (challenge as { name?: unknown }).name : undefined;
  if (name === "TokenExpiredError") return FAILURE_DESCRIPTIONS.expired;
  if (name === "NotBeforeError") return FAILURE_DESCRIPTIONS.notYetValid;
  return FAILURE_DESCRIPTIONS.invalid;
}

/** The (lower-case) header of a passport-headerapikey strategy, else undefined. */
function apiKeyHeader(strategy: Strategy): string | undefined {
  const config = (strategy as unknown as { apiKeyHeader?: { header?: unknown } }).apiKeyHeader;
  return config && typeof config.header === "string" ? config.header.toLowerCase() : undefined;
}

/** `x-api-key` → `X-API-Key` (passport-headerapikey keeps only the lower-case name). */
function displayHeader(header: string): string {
  return header
    .split("-")
    .map((part) =>
      part === "api" || part === "id" ? part.toUpperCase() : part.charAt(0).toUpperCase() + part.slice(1),
    )
    .join("-")
    .replace(/[^\x21-\x7e]|["\\]/g, "");
}

/** A strategy's challenge when it gave none as a string: known strategies by their shape. */
function derivedChallenge(
  failure: Failure,
  realm: string,
  rejected: string | undefined,
  authorizationSent: boolean,
): string | undefined {
  const strategy = failure.strategy as Strategy & Record<string, unknown>;
  if (typeof strategy._jwtFromRequest === "function" || strategy.name === "jwt" || strategy.name === "bearer") {
    // An Authorization header it could not read (Basic, no scheme, "Bearer "): a credential was sent, and refused.
    const refused = rejected ?? (authorizationSent ? FAILURE_DESCRIPTIONS.invalid : undefined);
    return refused ? bearerChallenge(realm, "invalid_token", refused) : bearerChallenge(realm);
  }
  const header = apiKeyHeader(failure.strategy);
  if (header !== undefined) {
    const base = `ApiKey header="${displayHeader(header)}", realm="${realm.replace(/[^\x20-\x7e]|["\\]/g, "")}"`;
    return rejected ? `${base}, error="invalid_token"` : base;
  }
  if (strategy.name === "session") return `Session realm="${realm.replace(/[^\x20-\x7e]|["\\]/g, "")}"`;
  return undefined;
}

/**
 * The 401 (or the strategy's own 4xx) for a request that no strategy accepted, per RFC 6750.
 * `log` receives each rejecting strategy's own message (never sent to the caller).
 */
export function authenticationFailed(
  req: IncomingMessage,
  failures: readonly Failure[],
  realm: string,
  log?: (message: string, cause?: unknown) => void,
): HTTPException {
  let status: number | undefined;
  let description: string | undefined;
  let cause: unknown;
  for (const failure of failures) {
    if (status === undefined && typeof failure.status === "number" && failure.status >= 400 && failure.status < 500)
      status = failure.status;
    if (description === undefined && presentedCredential(failure, req)) {
      description = describe(failure.challenge);
      cause = failure.challenge;
      const detail = typeof failure.challenge === "string" ? failure.challenge : messageOf(failure.challenge);
      log?.(
        `Authentication failed in strategy ${failure.label}: ${String(detail ?? "rejected").slice(0, 300)}`,
        failure.challenge,
      );
    }
  }
  const credentialSent = description !== undefined || req.headers.authorization !== undefined;
  description ??= credentialSent ? FAILURE_DESCRIPTIONS.invalid : undefined;
  status ??= 401;
  if (status !== 401) return new HTTPException(status, { cause });
  const challenges: string[] = [];
  for (const failure of failures) {
    const own = typeof failure.challenge === "string" ? failure.challenge : undefined;
    const rejected = presentedCredential(failure, req) ? describe(failure.challenge) : undefined;
    const challenge = own ?? derivedChallenge(failure, realm, rejected, req.headers.authorization !== undefined);
    if (challenge && !challenges.includes(challenge)) challenges.push(challenge);
  }
  if (challenges.length === 0)
    challenges.push(credentialSent ? bearerChallenge(realm, "invalid_token", description) : bearerChallenge(realm));
  return new HTTPException(401, {
    code: credentialSent ? "invalid_token" : "credentials_required",
    message: credentialSent ? description! : FAILURE_DESCRIPTIONS.missing,
    headers: { "WWW-Authenticate": challenges.join(", ") },
    cause,
  });
}

/** Gives a 401 that has no `WWW-Authenticate` (e.g. thrown by an authenticate function) the default challenge. */
export function withChallenge(err: unknown, req: IncomingMessage, realm: string): unknown {
  if (!isHTTPException(err) || err.status !== 401) return err;
  if (Object.keys(err.headers).some((name) => name.toLowerCase() === "www-authenticate")) return err;
  const sent = req.headers.authorization !== undefined;
  return new HTTPException(401, {
    code: err.code,
    message: err.message,
    headers: {
      ...err.headers,
      "WWW-Authenticate": sent
        ? bearerChallenge(realm, "invalid_token", FAILURE_DESCRIPTIONS.invalid)
        : bearerChallenge(realm),
    },
    cause: err,
  });
}

/** An identity with NUL or a lone surrogate comes from a credential no database can store: refuse it as one. */
export function hasUsableIdentity(user: unknown): boolean {
  const identity =
    typeof user === "string"
      ? user
      : user && typeof user === "object"
        ? (user as { identity?: unknown }).identity
        : undefined;
  return typeof identity !== "string" || isUsableText(identity);
}

/** The 401 for such an identity. */
export function unusableIdentity(realm: string): HTTPException {
  return new HTTPException(401, {
    code: "invalid_token",
    message: "The credentials are invalid",
    headers: { "WWW-Authenticate": bearerChallenge(realm, "invalid_token", "The credentials are invalid") },
  });
}
