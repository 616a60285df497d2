/**
 * The authenticated user, normalised as LangGraph does: a string is an
 * identity; an object needs a string `identity` and gets defaults for
 * `permissions`, `is_authenticated` and `display_name`; other fields are kept.
 */
import { setOwn } from "./own";
import { describeValue } from "./values";

/** The fields every authenticated user has. */
export interface BaseUser {
  identity: string;
  permissions: string[];
  is_authenticated: boolean;
  display_name: string;
}

/** What an authenticate step may produce: an identity string, or an object with one. */
export type UserInput =
  string | { identity: string; permissions?: readonly string[]; is_authenticated?: boolean; display_name?: string };

/** The user handlers see for an authenticate step that produces `T`. */
export type AuthUser<T = string> = T extends string
  ? BaseUser
  : T extends { identity: string }
    ? BaseUser & Omit<T, keyof BaseUser>
    : BaseUser;

const UNUSABLE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True for text PostgreSQL and JSON can store: no NUL, no lone surrogate. An
 * identity from a credential that fails this is a rejected credential (401), not a 500 later.
 *
 * @example
 * isUsableText("alice"); // true
 * isUsableText("ali\u0000ce"); // false
 */
export function isUsableText(value: string): boolean {
  return !value.includes("\0") && !UNUSABLE.test(value);
}

/** Thrown when an authenticate step produced something that is not a user: a server misconfiguration. */
export class InvalidUserError extends TypeError {
  constructor(source: string, problem: string) {
    super(
      `${source} ${problem}. Return a non-empty identity string, or an object like ` +
        `{ identity: "user-123", permissions: ["threads:read"] } (permissions optional, an array of strings).`,
    );
    this.name = "InvalidUserError";
  }
}

/**
 * Normalises what an authenticate step returned. Throws {@link InvalidUserError}
 * (a 500: the server is misconfigured) for anything that is not a user.
 *
 * @example
 * normalizeUser("alice", "authenticate()");
 * // { identity: "alice", permissions: [], is_authenticated: true, display_name: "alice" }
 */
export function normalizeUser(raw: unknown, source: string): BaseUser & Record<string, unknown> {
  if (typeof raw === "string") {
    if (raw.length === 0) throw new InvalidUserError(source, "returned an empty identity string");
    return { identity: raw, permissions: [], is_authenticated: true, display_name: raw };
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InvalidUserError(source, `returned ${describeValue(raw)} instead of a user`);
  }
  const user = raw as Record<string, unknown>;
  const identity = user.identity;
  if (typeof identity !== "string" || identity.length === 0) {
    throw new InvalidUserError(
      source,
      `returned a user whose "identity" is ${describeValue(identity)}, not a non-empty string`,
    );
  }
  const permissions = user.permissions ?? [];
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === "string")) {
    throw new InvalidUserError(source, `returned a user whose "permissions" is not an array of strings`);
  }
  const isAuthenticated = user.is_authenticated ?? true;
  if (typeof isAuthenticated !== "boolean") {
    throw new InvalidUserError(
      source,
      `returned a user whose "is_authenticated" is ${describeValue(isAuthenticated)}, not a boolean`,
    );
  }
  const displayName = user.display_name ?? identity;
  if (typeof displayName !== "string") {
    throw new InvalidUserError(
      source,
      `returned a user whose "display_name" is ${describeValue(displayName)}, not a string`,
    );
  }
  // A literal then a loop, not `{ ...user, identity, … }`: V8 makes spread-then-assign
  // a slow dictionary-mode copy, and this runs on every request.
  const out: BaseUser & Record<string, unknown> = {
    identity,
    permissions: [...permissions],
    is_authenticated: isAuthenticated,
    display_name: displayName,
  };
  for (const key in user) {
    if (Object.hasOwn(user, key) && !Object.hasOwn(out, key)) setOwn(out, key, user[key]);
  }
  return out;
}
