import { randomBytes } from "node:crypto";
import jwt from "jsonwebtoken";

/** Every permission the policy knows: read and write on each resource. */
export const ALL_SCOPES: readonly string[] = ["threads", "assistants", "crons", "store"].flatMap((resource) => [
  `${resource}:read`,
  `${resource}:write`,
]);

/**
 * Mints a demo token: HS256, `sub` = identity, `scopes` = permissions.
 *
 * @example
 * const token = mintToken(secret, "alice");                          // full scopes, 12 hours
 * const reader = mintToken(secret, "bob", { scopes: ["threads:read"], expiresIn: "5m" });
 */
export function mintToken(
  secret: string,
  identity: string,
  options: { scopes?: readonly string[]; expiresIn?: jwt.SignOptions["expiresIn"] } = {},
): string {
  return jwt.sign({ scopes: [...(options.scopes ?? ALL_SCOPES)] }, secret, {
    algorithm: "HS256",
    subject: identity,
    expiresIn: options.expiresIn ?? "12h",
  });
}

/** A random secret for one start of the server when `JWT_SECRET` is not set. */
export function randomSecret(): string {
  return randomBytes(32).toString("base64url");
}
