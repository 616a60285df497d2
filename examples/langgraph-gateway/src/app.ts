import express, { type Express } from "express";
import { langgraphGateway } from "@gatehouse/langgraph";
import { createAuth } from "./auth";

export interface GatewayAppOptions {
  /** The HS256 secret tokens are signed with (at least 16 characters). */
  jwtSecret: string;
  /** The LangGraph server's base URL. */
  upstream: string;
  /** Sent on every upstream request, e.g. `{ "x-api-key": key }` for LangGraph Platform. */
  upstreamHeaders?: Record<string, string>;
  /** Upstream timeout in ms (the gateway's default when unset). */
  timeoutMs?: number;
}

/** The app and how to release the gateway's upstream connections once the server is closed. */
export interface GatewayApp {
  app: Express;
  close: () => Promise<void>;
}

/**
 * The Express app of this example: the Gatehouse gateway, with this example's
 * policy (auth.ts), in front of a LangGraph server. The gateway's Router runs
 * the authentication itself (`/info`, `/ok` and `/health` are public).
 *
 * @example
 * const { app, close } = createGatewayApp({ jwtSecret, upstream: "http://127.0.0.1:2024" });
 * const server = app.listen(2025, "127.0.0.1");
 * // later: server.close(() => close());
 */
export function createGatewayApp(options: GatewayAppOptions): GatewayApp {
  const app = express();
  app.disable("x-powered-by");
  const gateway = langgraphGateway({
    auth: createAuth({ jwtSecret: options.jwtSecret }),
    upstream: options.upstream,
    ...(options.upstreamHeaders ? { upstreamHeaders: options.upstreamHeaders } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  app.use(gateway);
  return { app, close: () => gateway.close() };
}
