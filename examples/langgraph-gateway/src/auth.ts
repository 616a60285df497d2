import { Auth, HTTPException, jwtStrategy, type JwtPayload } from "@gatehouse/express";

/**
 * The gateway's policy: the same as examples/agent-server's (src/auth.ts there),
 * written out here so this example reads on its own.
 *
 * - who: a Bearer JWT signed with HS256; `sub` is the identity, `scopes` the permissions;
 * - permissions: `<resource>:write` to create, update, delete, run or put,
 *   `<resource>:read` to read, search, get or list (403 without);
 * - single owner: threads, runs, assistants and crons are stamped with
 *   `metadata.owner` when created and every other action is scoped to
 *   `{ owner: identity }`, so another user's records look like missing ones (404);
 * - store: a user's namespaces start with their identity (`["alice", …]`).
 *
 * @example
 * const auth = createAuth({ jwtSecret: process.env.JWT_SECRET! });
 * app.use(langgraphGateway({ auth, upstream: "http://127.0.0.1:2024" }));
 */
export function createAuth(options: { jwtSecret: string }) {
  if (typeof options.jwtSecret !== "string" || options.jwtSecret.length < 16) {
    throw new TypeError("createAuth({ jwtSecret }) needs a secret of at least 16 characters");
  }
  return new Auth({ unhandled: "deny" })
    .authenticate(jwtStrategy({ secret: options.jwtSecret, algorithms: ["HS256"], cache: true, verify: verifyClaims }))
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

/** The Auth of this gateway. */
export type GatewayAuth = ReturnType<typeof createAuth>;

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
