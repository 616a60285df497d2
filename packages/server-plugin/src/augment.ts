/**
 * Express `Request` augmentation: after `auth.middleware()`, `req.auth` holds
 * who is calling and, after `auth.guard()`, the filter that scopes the action.
 * `req.user` is the same user (Passport's conventional place).
 */
import type { AuthContext } from "./decision";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `auth.middleware()`: `{ user, permissions }`; `filters` is set by `auth.guard()`. */
      auth?: AuthContext;
    }
  }
}

export {};
