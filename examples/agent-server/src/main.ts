import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { createApp } from "./app";
import { oidcFromEnv } from "./auth";
import { checkWorkers, runPrimary, startedWith, workerIndex } from "./cluster";
import { corsOriginsFromEnv } from "./cors";
import { dbOptionsFromEnv, openDb } from "./db";
import { startupBanner } from "./banner";
import { limitsFromEnv } from "./limits";
import { createLogger } from "./logging";
import { opsFromEnv } from "./ops-env";
import { gracefulShutdown } from "./shutdown";
import { randomSecret } from "./tokens";

/**
 * Starts the server: `PORT` (default 2024, 0 for any free port), `HOST`
 * (default 127.0.0.1), `JWT_SECRET` (random for this start when unset),
 * `DATABASE_URL` or `PGLITE_DIR` / `--memory`, `CORS_ORIGINS`,
 * `MAX_THREAD_STATE_BYTES`, `MAX_THREAD_MESSAGES`, `MAX_RESPONSE_BYTES`, and
 * the operational settings of `ops-env.ts` (`RATE_LIMIT_PER_MINUTE`,
 * `REQUEST_TIMEOUT_MS`, `STATEMENT_TIMEOUT_MS`, `SHUTDOWN_TIMEOUT_MS`,
 * `LOG_LEVEL`, `WORKERS`).
 */
async function main(): Promise<void> {
  const env = process.env;
  const port = env.PORT === undefined || env.PORT === "" ? 2024 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(env.PORT)}`);
  const host = env.HOST || "127.0.0.1";
  const jwtSecret = env.JWT_SECRET || randomSecret();
  if (jwtSecret.length < 16) throw new Error("JWT_SECRET must be at least 16 characters");
  const ops = opsFromEnv(env);
  const dbOptions = {
    ...dbOptionsFromEnv(env, process.argv.slice(2)),
    statementTimeoutMs: ops.statementTimeoutMs,
    readCacheBytes: ops.readCacheBytes,
  };
  const logger = createLogger({ level: ops.logLevel });
  checkWorkers(ops.workers, dbOptions);
  if (ops.workers > 1 && cluster.isPrimary) {
    await runPrimary({
      workers: ops.workers,
      db: dbOptions,
      jwtSecret,
      jwtSecretIsRandom: !env.JWT_SECRET,
      log: { info: (m) => logger.info(m), error: (m) => logger.error(m) },
    });
    return;
  }
  const worker = workerIndex();

  const db = await openDb(dbOptions);
  const lifecycle = { draining: false };
  const app = createApp({
    db,
    jwtSecret,
    corsOrigins: corsOriginsFromEnv(env.CORS_ORIGINS),
    logger,
    rateLimitPerMinute: ops.rateLimitPerMinute,
    requestTimeoutMs: ops.requestTimeoutMs,
    lifecycle,
    limits: limitsFromEnv(env),
    oidc: oidcFromEnv(env),
  });
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  }).catch(async (error: NodeJS.ErrnoException) => {
    await db.close();
    throw error.code === "EADDRINUSE"
      ? new Error(`Port ${port} on ${host} is in use: set PORT to another port (PORT=0 picks a free one)`)
      : error;
  });

  const stop = gracefulShutdown({ server, db, lifecycle, timeoutMs: ops.shutdownTimeoutMs, log: logger });
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  if (worker !== undefined && worker > 1) {
    logger.info(`worker ${worker} (pid ${process.pid}) listening`);
    return; // worker 1 prints the banner for all of them
  }

  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  console.log(
    startupBanner({
      url: `http://${shownHost}:${address.port}`,
      database: db.description,
      jwtSecret,
      env: startedWith(env),
    }),
  );
  if (worker !== undefined) console.log(`Workers: ${ops.workers} processes (node:cluster) on this port\n`);
}

main().catch((error: unknown) => {
  console.error(`Agent server failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
