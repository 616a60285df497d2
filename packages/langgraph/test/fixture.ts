/**
 * The gateway under test: the agent server's single-owner policy (owner
 * stamped on create/update/run, every other action scoped to the owner, store
 * namespaces start with the identity) in front of the stub upstream.
 */
import express from "express";
import { Auth, HTTPException } from "@gatehouse/express";
import { langgraphGateway, type GatewayOptions, type GatewayRouter } from "@gatehouse/langgraph";
import { startStub, type Stub } from "./stub-upstream";

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

/** The stub upstream and the gateway in front of it, fresh for every test (see `useStubGateway`). */
export interface StubGateway {
  stub: Stub;
  app: express.Express;
  gateway: GatewayRouter;
  /** Closes the current gateway and mounts another one (other options, other mount path) on the same stub. */
  remount(options?: Partial<GatewayOptions>, mount?: string): Promise<void>;
}

/**
 * Registers a beforeEach that starts a stub upstream and a gateway in front of
 * it (`options` added to `{ upstream: stub.url }`), and an afterEach that closes
 * both. Read the fields inside tests: they are replaced for every test.
 */
export function useStubGateway(options: Partial<GatewayOptions> = {}): StubGateway {
  const harness = {
    async remount(more: Partial<GatewayOptions> = {}, mount = "/") {
      await harness.gateway.close();
      Object.assign(harness, gatewayApp({ upstream: harness.stub.url, ...options, ...more }, mount));
    },
  } as StubGateway;
  beforeEach(async () => {
    harness.stub = await startStub();
    Object.assign(harness, gatewayApp({ upstream: harness.stub.url, ...options }));
  });
  afterEach(async () => {
    await harness.gateway.close();
    await harness.stub.close();
  });
  return harness;
}
