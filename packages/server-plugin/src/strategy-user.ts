/**
 * Typed users from Passport strategies, and mapping an application's own user
 * (a session's `deserializeUser` result, an API-key account) to a Gatehouse user.
 */
import type { IncomingMessage } from "node:http";
import type { Strategy } from "passport";

declare const USER: unique symbol;

/**
 * A Passport strategy that says what user it produces, so that
 * `auth.authenticate(strategy)` types every handler's `user` without a type
 * argument. `jwtStrategy<U>()` returns one; type any other strategy with
 * `strategy as TypedStrategy<MyUser>` or `auth.authenticate<MyUser>(strategy)`.
 */
export type TypedStrategy<U> = Strategy & { readonly [USER]?: U };

const MAPPED = Symbol.for("gatehouse.mappedStrategy");

/** A strategy (instance or registered name) whose user is mapped by `toUser`; made by {@link mapUser}. */
export interface MappedStrategy<R = unknown> {
  readonly [MAPPED]: true;
  readonly strategy: Strategy | string;
  readonly toUser: (user: never, req: IncomingMessage) => R;
  readonly [USER]?: R;
}

/**
 * Maps the user a strategy produces (your app's own user object) to the
 * Gatehouse user: an identity string or `{ identity, permissions?, … }`.
 * `req.user` keeps your object, untouched; `req.auth.user` and every handler
 * get the mapped user, typed by `toUser`'s return type.
 *
 * @example
 * const auth = new Auth({ passport }).authenticate(
 *   mapUser("session", (user: AppUser) => ({ identity: String(user.id), permissions: user.roles, email: user.email })),
 * );
 * auth.on("*", ({ user }) => ({ owner: user.identity })); // user.email: string
 */
export function mapUser<A, R>(
  strategy: TypedStrategy<A>,
  toUser: (user: A, req: IncomingMessage) => R,
): MappedStrategy<R>;
export function mapUser<A, R>(
  strategy: (Strategy & { readonly [USER]?: undefined }) | string,
  toUser: (user: A, req: IncomingMessage) => R,
): MappedStrategy<R>;
export function mapUser<A, R>(
  strategy: Strategy | string,
  toUser: (user: A, req: IncomingMessage) => R,
): MappedStrategy<R> {
  if (typeof toUser !== "function")
    throw new TypeError(
      "mapUser(strategy, toUser): toUser must be a function (appUser, req) => identity | { identity, … }",
    );
  if (typeof strategy !== "string" && !(strategy && typeof strategy.authenticate === "function")) {
    throw new TypeError(
      "mapUser(strategy, toUser): strategy must be a Passport strategy instance or a registered strategy name",
    );
  }
  return Object.freeze({ [MAPPED]: true as const, strategy, toUser: toUser });
}

/** True for what {@link mapUser} returns. */
export function isMappedStrategy(value: unknown): value is MappedStrategy {
  return !!value && typeof value === "object" && (value as Record<symbol, unknown>)[MAPPED] === true;
}

/** The user type a strategy reference produces: `TypedStrategy<U>` → U, `mapUser(…, f)` → f's result, else an identity string. */
export type UserOf<S> = S extends { readonly [USER]?: infer U } ? (unknown extends U ? string : U) : string;
