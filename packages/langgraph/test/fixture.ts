/**
 * The gateway under test: the agent server's single-owner policy (owner
 * stamped on create/update/run, every other action scoped to the owner, store
 * namespaces start with the identity) in front of the stub upstream.
 */
import express from "express";
import { Auth, HTTPException } from "@gatehouse/express";
import { langgraphGateway, type GatewayOptions, type GatewayRouter } from "@gatehouse/langgraph";

/** `Authorization: Bearer <name>` is user <name>: enough for tests, never for production. */
export function ownerAuth(options: { stamp?: boolean } = {}) {
  const stamp = options.stamp ?? true;
  return new Auth({ unhandled: "deny" })
    .authenticate((req) => {
      const match = /^Bearer ([a-z]+)$/.exec(req.headers.authorization ?? "");
      if (!match)
        throw new HTTPException(401, {
          message: "Missing or bad token",
          headers: { "WWW-Authenticate": 'Bearer realm="api"' },
        });
      return {
        identity: match[1],
        permissions: ["threads:write"],
        display_name: match[1].toUpperCase(),
        secret_claim: "x",
      };
    })
    .on(["threads", "assistants", "crons"], ({ action, value, user }) => {
      if (stamp && (action === "create" || action === "update" || action === "create_run")) {
        value.metadata = { ...(value.metadata as Record<string, unknown> | undefined), owner: user.identity };
      }
      return { owner: user.identity };
    })
    .on("store", ({ action, value, user }) => {
      const namespace = value.namespace ?? [];
      if ((action === "search" || action === "list_namespaces") && namespace.length === 0) {
        value.namespace = [user.identity];
        return;
      }
      if (namespace[0] === user.identity) return;
      if (action === "get") throw new HTTPException(404, { message: "Not found" });
      throw new HTTPException(403, { message: "Forbidden" });
    });
}

export function gatewayApp(
  options: Partial<GatewayOptions> & { upstream: string },
  mount = "/",
): { app: express.Express; gateway: GatewayRouter } {
  const gateway = langgraphGateway({ auth: ownerAuth(), logger: { error: () => undefined }, ...options });
  const app = express();
  app.use(mount, gateway);
  return { app, gateway };
}

export const alice = { Authorization: "Bearer alice" };
export const bob = { Authorization: "Bearer bob" };
