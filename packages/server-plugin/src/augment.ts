/**
 * Express `Request` augmentation: after `auth.middleware()`, `req.auth` holds
 * who is calling and, after `auth.guard()`, the filter that scopes the action.
 * `req.user` is the same user (Passport's conventional place), or the app's own
 * user object for sessions and `mapUser()`.
 */
import type { Auth } from "./auth";
import type { AuthContext } from "./decision";
import type { BaseUser } from "./user";

/**
 * Register your `Auth` once and `req.auth.user` has its user type in every route,
 * without casts (as handlers already do):
 *
 * @example
 * const auth = new Auth().authenticate(jwtStrategy({ …, verify: (p) => ({ identity: p.sub!, org: String(p.org) }) }));
 * declare module "@gatehouse/express" {
 *   interface Register { auth: typeof auth }
 * }
 * app.get("/me", (req, res) => res.json({ org: req.auth!.user.org })); // string
 */
// Apps add `auth` to this interface by declaration merging, so it is declared empty on purpose.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Register {}

/** The user type of the registered `Auth` (see {@link Register}); `BaseUser` when none is registered. */
export type RegisteredUser = Register extends { auth: Auth<infer _Extra, infer U> } ? U : BaseUser;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `auth.middleware()`: `{ user, permissions }`; `filters` is set by `auth.guard()`. */
      auth?: AuthContext<RegisteredUser>;
    }
  }
}

export {};
