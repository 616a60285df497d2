/**
 * Graceful shutdown: on SIGTERM (or SIGINT) the server stops accepting
 * connections, `/ready` answers 503, requests and streams in flight may finish
 * until the deadline (then their connections are closed), the database is
 * closed, and the process exits 0.
 */
import type { Server } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Db } from "./db";
import type { Lifecycle } from "./readiness";

export interface ShutdownOptions {
  server: Server;
  db: Db;
  lifecycle: Lifecycle;
  /** How long requests and streams in flight may take before their connections are closed. */
  timeoutMs: number;
  log: { info(msg: string): void; warn(msg: string): void; error(obj: unknown, msg?: string): void };
  /** Default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * Express middleware: while draining, every response says `Connection: close`,
 * so a keep-alive client opens its next connection elsewhere.
 *
 * @example
 * app.use(closeWhenDraining(lifecycle));
 */
export function closeWhenDraining(lifecycle: Lifecycle): RequestHandler {
  return function drain(_req: Request, res: Response, next: NextFunction) {
    if (lifecycle.draining) res.setHeader("Connection", "close");
    next();
  };
}

/**
 * Stops the server gracefully and resolves to the exit code (0, or 1 when the
 * database does not close), which it also passes to `exit`. Calling it again
 * returns the same promise.
 *
 * @example
 * const stop = gracefulShutdown({ server, db, lifecycle, timeoutMs: 10_000, log: logger });
 * process.once("SIGTERM", () => void stop("SIGTERM"));
 */
export function gracefulShutdown(options: ShutdownOptions): (signal: string) => Promise<number> {
  const { server, db, lifecycle, timeoutMs, log, exit = (code: number) => process.exit(code) } = options;
  let stopping: Promise<number> | undefined;
  return (signal) => {
    stopping ??= (async () => {
      lifecycle.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Logged once the listening socket is closed: from this line on, new connections are refused.
      log.info(`${signal}: shutting down; waiting up to ${timeoutMs} ms for requests in flight`);
      const force = setTimeout(() => {
        log.warn(`Requests still in flight after ${timeoutMs} ms: closing their connections`);
        server.closeAllConnections();
      }, timeoutMs);
      force.unref();
      await closed;
      clearTimeout(force);
      let code = 0;
      try {
        await db.close();
      } catch (error) {
        log.error({ err: error }, "Closing the database failed");
        code = 1;
      }
      log.info(`Stopped (exit code ${code})`);
      exit(code);
      return code;
    })();
    return stopping;
  };
}
