/**
 * When a credential expires: the `exp` of a bearer JWT (read, never
 * verified: the server verifies), or what the app's `expiresAt` option says.
 * The client refreshes ahead when the expiry is within the margin.
 */
import type { CredentialHeaders } from "./credentials";

/** Epoch milliseconds from a number (ms), a Date, or undefined. */
export function toEpochMs(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** `{ exp, iat }` in epoch milliseconds from `Authorization: Bearer <jwt>`, when it is a JWT with a numeric `exp`. */
export function bearerJwtTimes(headers: CredentialHeaders): { exp: number; iat?: number } | undefined {
  if (!headers) return undefined;
  const auth = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization")?.[1];
  const m = typeof auth === "string" ? /^Bearer\s+([\w-]+)\.([\w-]+)\.([\w-]*)$/i.exec(auth.trim()) : null;
  if (!m) return undefined;
  try {
    const json = decodeBase64Url(m[2]);
    const claims = JSON.parse(json) as { exp?: unknown; iat?: unknown };
    if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) return undefined;
    return { exp: claims.exp * 1000, iat: typeof claims.iat === "number" ? claims.iat * 1000 : undefined };
  } catch {
    return undefined;
  }
}

function decodeBase64Url(part: string): string {
  const base64 = part
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(part.length / 4) * 4, "=");
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * Whether a credential expiring at `exp` should be refreshed now. The margin
 * shrinks to half the token's lifetime when that is known, so a token that
 * lives shorter than the margin is not refreshed on every request.
 */
export function expiresSoon(
  exp: number | undefined,
  iat: number | undefined,
  margin: number,
  now = Date.now(),
): boolean {
  if (exp === undefined || margin <= 0) return false;
  const effective = iat !== undefined && exp > iat ? Math.min(margin, (exp - iat) / 2) : margin;
  return exp - now <= effective;
}
