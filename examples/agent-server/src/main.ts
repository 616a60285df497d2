import type { AddressInfo } from "node:net";
import { createApp } from "./app";
import { oidcFromEnv } from "./auth";
import { corsOriginsFromEnv } from "./cors";
import { dbOptionsFromEnv, openDb } from "./db";
import { startupBanner } from "./banner";
import { limitsFromEnv } from "./limits";
import { randomSecret } from "./tokens";

/**
 * Starts the server: `PORT` (default 2024, 0 for any free port), `HOST`
 * (default 127.0.0.1), `JWT_SECRET` (random for this start when unset),
 * `DATABASE_URL` or `PGLITE_DIR` / `--memory`, `CORS_ORIGINS`,
 * `MAX_THREAD_STATE_BYTES`, `MAX_THREAD_MESSAGES`, `MAX_RESPONSE_BYTES`.
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = env.PORT === undefined || env.PORT === "" ? 2024 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(env.PORT)}`);
  const host = env.HOST || "127.0.0.1";
  const jwtSecret = env.JWT_SECRET || randomSecret();
  if (jwtSecret.length < 16) throw new Error("JWT_SECRET must be at least 16 characters");

  const db = await openDb(dbOptionsFromEnv(env, process.argv.slice(2)));
  const app = createApp({
    db,
    jwtSecret,
    corsOrigins: corsOriginsFromEnv(env.CORS_ORIGINS),
    limits: limitsFromEnv(env),
    oidc: oidcFromEnv(env),
  });
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  }).catch(async (error: NodeJS.ErrnoException) => {
    await db.close();
    throw error.code === "EADDRINUSE" ? new Error(`Port ${port} on ${host} is in use: set PORT to another port (PORT=0 picks a free one)`) : error;
  });

  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  console.log(startupBanner({ url: `http://${shownHost}:${address.port}`, database: db.description, jwtSecret, env }));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    const force = setTimeout(() => {
      console.error("Shutdown took longer than 10 s; exiting");
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close(() => {
      db.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error("Closing the database failed:", error);
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`Agent server failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
