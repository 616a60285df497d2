import {
  Auth,
  HTTPException,
  jwtStrategy,
  type AuthContext as GatehouseContext,
  type AuthLogger,
  type DecisionHook,
  type JwtPayload,
} from "@gatehouse/express";
import { apiKeyStrategy } from "./api-keys";
import type { Queryable } from "./db";

/** Tokens from an OpenID provider (Auth0, Okta, Keycloak, Cognito, …): `OIDC_ISSUER`, `OIDC_AUDIENCE`, optional `OIDC_JWKS_URI`. */
export interface OidcOptions {
  issuer: string;
  audience: string;
  /** Default: found through the issuer's OpenID Connect discovery document. */
  jwksUri?: string;
}

export interface CreateAuthOptions {
  /** HS256 secret of the server's own tokens (at least 16 characters). */
  jwtSecret: string;
  /** Also accept RS256 access tokens of this OpenID provider, verified with its JWKS. */
  oidc?: OidcOptions;
  /** Also accept API keys (`X-API-Key`) stored, hashed, in this database. */
  apiKeys?: Queryable;
  /** Receives one record per authorization decision (the server logs them at info). */
  onDecision?: DecisionHook;
  /** Where Gatehouse reports configuration errors (default: console). */
  logger?: AuthLogger;
}

/**
 * `OIDC_ISSUER` + `OIDC_AUDIENCE` (+ optional `OIDC_JWKS_URI`) from the environment;
 * undefined when `OIDC_ISSUER` is not set. Half a configuration throws.
 */
export function oidcFromEnv(env: NodeJS.ProcessEnv): OidcOptions | undefined {
  const { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience, OIDC_JWKS_URI: jwksUri } = env;
  if (!issuer) {
    if (audience || jwksUri)
      throw new Error(
        "OIDC_AUDIENCE and OIDC_JWKS_URI need OIDC_ISSUER (the provider's issuer URL, e.g. https://your-tenant.eu.auth0.com/)",
      );
    return undefined;
  }
  if (!audience)
    throw new Error(
      "OIDC_ISSUER needs OIDC_AUDIENCE: the audience (API identifier) your provider puts in access tokens for this server",
    );
  return { issuer, audience, jwksUri: jwksUri || undefined };
}

/**
 * The policy of this server, written with Gatehouse handlers:
 *
 * - who: a Bearer JWT signed with HS256; `sub` is the identity, `scopes` the permissions;
 * - permissions: `<resource>:write` to create, update, delete, run or put,
 *   `<resource>:read` to read, search, get or list (403 without);
 * - single owner: threads, runs, assistants and crons are stamped with
 *   `metadata.owner` when created and every other action is scoped to
 *   `{ owner: identity }`, so another user's records look like missing ones (404);
 * - store: a user's namespaces start with their identity (`["alice", …]`).
 */
export function createAuth(options: CreateAuthOptions) {
  if (typeof options.jwtSecret !== "string" || options.jwtSecret.length < 16) {
    throw new TypeError("createAuth({ jwtSecret }) needs a secret of at least 16 characters");
  }
  const { oidc, apiKeys } = options;
  return new Auth({ unhandled: "deny", onDecision: options.onDecision, logger: options.logger })
    .authenticate([
      // passport-jwt, configured by jwtStrategy(): HS256 pinned, the secret a KeyObject,
      // and verified tokens cached (keyed by the whole token; exp/nbf re-checked on every hit).
      jwtStrategy({ secret: options.jwtSecret, algorithms: ["HS256"], cache: true, verify: verifyClaims }),
      // An OpenID provider's RS256 access tokens: keys from its JWKS (by kid, rotated), `scope` → permissions.
      ...(oidc
        ? [
            jwtStrategy({
              issuer: oidc.issuer,
              audience: oidc.audience,
              algorithms: ["RS256"],
              cache: true,
              ...(oidc.jwksUri ? { jwksUri: oidc.jwksUri } : { discovery: true }),
            }),
          ]
        : []),
      // Machines: X-API-Key, looked up by its SHA-256 hash; its stored scopes are its permissions.
      ...(apiKeys ? [apiKeyStrategy(alwaysAsked(apiKeys))] : []),
    ])
    .on(["threads", "assistants", "crons"], ({ resource, action, value, user, permissions }) => {
      requirePermission(permissions, resource, action);
      if (action === "create" || action === "update" || action === "create_run") {
        // Created (and updated) records carry their owner; a patch cannot give them away.
        value.metadata = { ...(value.metadata as Record<string, unknown> | undefined), owner: user.identity };
      }
      return { owner: user.identity };
    })
    .on("store", ({ action, value, user, permissions }) => {
      requirePermission(permissions, "store", action);
      const namespace = value.namespace ?? [];
      if ((action === "search" || action === "list_namespaces") && namespace.length === 0) {
        value.namespace = [user.identity]; // no prefix given: only the caller's own namespaces
        return;
      }
      if (namespace[0] === user.identity) return;
      if (action === "get") throw new HTTPException(404, { message: "Item not found" });
      throw new HTTPException(403, {
        message: `Forbidden: store namespaces of ${user.identity} start with "${user.identity}"`,
      });
    });
}

/** The Auth of this server, as routes see it. */
export type AppAuth = ReturnType<typeof createAuth>;
export type AuthContext = GatehouseContext;

const WRITE_ACTIONS = new Set(["create", "update", "delete", "create_run", "put"]);

function requirePermission(permissions: readonly string[], resource: string, action: string): void {
  const needed = `${resource}:${WRITE_ACTIONS.has(action) ? "write" : "read"}`;
  if (!permissions.includes(needed))
    throw new HTTPException(403, { message: `Forbidden: this needs the "${needed}" permission` });
}

/** Claims → user: a token without a string `sub`, or with non-string scopes, is not a credential. */
function verifyClaims(claims: JwtPayload): { identity: string; permissions: string[] } | false {
  if (typeof claims.sub !== "string" || claims.sub.length === 0) return false;
  const scopes = claims.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === "string")) return false;
  return { identity: claims.sub, permissions: scopes };
}

/**
 * The API-key strategy's statements as "fresh" reads: always asked of the
 * database, never answered from PGlite's read cache (a key removed from the
 * table stops working at once), and not emptying it on every key lookup. Its
 * other statement, `CREATE TABLE IF NOT EXISTS api_keys`, changes no row a kept
 * read could hold.
 */
function alwaysAsked(db: Queryable): Queryable {
  return { query: (text, params) => db.query(text, params, { read: "fresh" }) };
}
