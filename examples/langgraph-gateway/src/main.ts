import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGatewayApp, type GatewayApp } from "./app";
import { startLangGraph, type LangGraphProcess } from "./langgraph-process";
import { mintToken, randomSecret } from "./tokens";

/**
 * `npm run gateway`: LangGraph's own server (in memory, with the `agent` graph)
 * unless `LANGGRAPH_URL` is set, and the Gatehouse gateway in front of it.
 *
 * Environment: `PORT` (gateway, default 2025, 0 for any free port), `HOST`
 * (default 127.0.0.1), `JWT_SECRET` (random for this start when unset),
 * `LANGGRAPH_URL` (an already running LangGraph server instead of starting
 * one), `LANGGRAPH_API_KEY` (sent upstream as `x-api-key`),
 * `LANGGRAPH_PORT` (the started LangGraph server's port, default 0: any free one).
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = portFromEnv("PORT", env.PORT, 2025);
  const host = env.HOST || "127.0.0.1";
  const jwtSecret = env.JWT_SECRET || randomSecret();
  if (jwtSecret.length < 16) throw new Error("JWT_SECRET must be at least 16 characters");
  const apiKey = env.LANGGRAPH_API_KEY || undefined;

  let langgraph: LangGraphProcess | undefined;
  let upstream = env.LANGGRAPH_URL || "";
  if (upstream === "") {
    console.log('Starting LangGraph\'s server (in memory, graph "agent")…');
    langgraph = await startLangGraph({ host: "127.0.0.1", port: portFromEnv("LANGGRAPH_PORT", env.LANGGRAPH_PORT, 0) });
    upstream = langgraph.url;
  }

  let server: Server;
  let gateway: GatewayApp;
  try {
    gateway = createGatewayApp({
      jwtSecret,
      upstream,
      ...(apiKey ? { upstreamHeaders: { "x-api-key": apiKey } } : {}),
    });
    server = gateway.app.listen(port, host);
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
  } catch (error) {
    await langgraph?.stop();
    const code = (error as NodeJS.ErrnoException).code;
    throw code === "EADDRINUSE"
      ? new Error(`Port ${port} on ${host} is in use: set PORT to another port (PORT=0 picks a free one)`)
      : error;
  }

  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  const alice = mintToken(jwtSecret, "alice");
  const bob = mintToken(jwtSecret, "bob");
  console.log(
    [
      `Gatehouse gateway listening on ${url}`,
      `LangGraph server: ${langgraph ? `${upstream} (started here, in memory, graph "agent"; no auth of its own: call the gateway, not this URL)` : `${upstream} (LANGGRAPH_URL)`}` +
        (apiKey ? ", with LANGGRAPH_API_KEY as x-api-key" : ""),
      `JWT secret: ${env.JWT_SECRET ? "from JWT_SECRET" : "random for this start (set JWT_SECRET to keep tokens valid across restarts)"}`,
      "",
      "Tokens (HS256, full scopes, valid 12 hours):",
      `ALICE_TOKEN=${alice}`,
      `BOB_TOKEN=${bob}`,
      "",
      "Try it: alice creates a thread, bob searches and sees none of alice's:",
      `curl -s -X POST ${url}/threads -H "Authorization: Bearer ${alice}" -H 'Content-Type: application/json' -d '{"metadata":{"topic":"demo"}}'; echo; ` +
        `curl -s -X POST ${url}/threads/search -H "Authorization: Bearer ${bob}" -H 'Content-Type: application/json' -d '{}'`,
      "",
    ].join("\n"),
  );

  let stopping = false;
  const stop = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`${reason}: shutting down`);
    const force = setTimeout(() => {
      console.error("Shutdown took longer than 15 s; exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    server.close(() => {
      Promise.all([gateway.close(), langgraph?.stop()]).then(
        () => process.exit(exitCode),
        (error: unknown) => {
          console.error("Stopping LangGraph's server failed:", error);
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
    // Open streams end with their runs; past 5 s they are cut so the stop stays prompt.
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  };
  // LangGraph's server going away on its own is fatal: the gateway would only answer 502.
  langgraph?.child.once("exit", (code, signal) => {
    if (stopping) return;
    console.error(`LangGraph's server exited (${signal ?? `code ${code}`}); stopping the gateway`);
    stop("LangGraph exit", 1);
  });

  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

function portFromEnv(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  return port;
}

main().catch((error: unknown) => {
  console.error(`Gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
