/**
 * Deadlines: a request that has not started answering within its deadline
 * gets 504, and a SQL statement that runs too long is a 503 (PostgreSQL's
 * `statement_timeout`, SQLSTATE 57014; a per-query deadline on PGlite). In both
 * cases the server keeps serving other requests.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { HTTPException } from "@gatehouse/express";
import { requestIdOf } from "./logging";

/** A query on PGlite did not answer within its deadline (PGlite cannot cancel it; its late result is dropped). */
export class DatabaseTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The query did not finish within ${timeoutMs} ms`);
    this.name = "DatabaseTimeoutError";
  }
}

/** SQLSTATE 57014 query_canceled: PostgreSQL cancelled the statement (statement_timeout). */
const QUERY_CANCELED = "57014";

/**
 * Whether `err` is a statement that ran out of time (answer 503 and try again).
 *
 * @example
 * isDatabaseTimeout(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })); // true
 */
export function isDatabaseTimeout(err: unknown): boolean {
  return (
    err instanceof DatabaseTimeoutError ||
    (err !== null && typeof err === "object" && (err as { code?: unknown }).code === QUERY_CANCELED)
  );
}

/** The 503 for a statement that ran out of time. */
export function databaseTimeout(cause: unknown): HTTPException {
  return new HTTPException(503, {
    message: "The database took too long to answer; try again",
    headers: { "Retry-After": "1" },
    cause,
  });
}

/**
 * Express middleware: a request that has sent no response after `timeoutMs`
 * is answered 504 with a JSON body (a stream that has started is left alone,
 * its headers being sent). What the route does after that is not sent. 0
 * disables (no middleware).
 *
 * @example
 * const deadline = requestDeadline(30_000);
 * if (deadline) app.use(deadline);
 */
export function requestDeadline(timeoutMs: number, onTimeout?: (req: Request) => void): RequestHandler | undefined {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
    throw new TypeError(`requestDeadline(timeoutMs) must be an integer ≥ 0, got ${String(timeoutMs)}`);
  if (timeoutMs === 0) return undefined;
  return function deadline(req: Request, res: Response, next: NextFunction) {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      onTimeout?.(req);
      const requestId = requestIdOf(req);
      res.status(504).set({ "Cache-Control": "no-store", Connection: "close" });
      res.json({
        error: "request_timeout",
        message: `The request did not finish within ${timeoutMs} ms`,
        ...(requestId === undefined ? {} : { request_id: requestId }),
      });
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once("finish", clear);
    res.once("close", clear);
    next();
  };
}

/**
 * Rejects with `DatabaseTimeoutError` when `query` has not settled within
 * `timeoutMs`; its late result (or error) is dropped.
 *
 * @example
 * const rows = await withQueryDeadline(worker.query("SELECT 1"), 5_000);
 */
export function withQueryDeadline<T>(query: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DatabaseTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    query.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
