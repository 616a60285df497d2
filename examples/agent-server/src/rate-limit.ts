/**
 * Per-identity rate limits with rate-limiter-flexible. The limiter runs after
 * authentication, so it counts what each identity does and one user cannot
 * spend another's budget (anonymous requests are refused with 401 before they
 * are counted). With PostgreSQL the counters live in a table, so every process
 * on that database shares them; on PGlite (one process) they live in memory.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { HTTPException } from "@gatehouse/express";
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";
import type { Db } from "./db";

/** The table that holds the counters on PostgreSQL. */
export const RATE_LIMIT_TABLE = "gatehouse_rate_limits";

/**
 * The counters' table, in the layout rate-limiter-flexible's `RateLimiterPostgres`
 * reads and writes. `openDb` creates it with the other tables, under its schema
 * lock, so processes starting together never race to create it (the library's
 * own `CREATE TABLE IF NOT EXISTS` at start lost that race now and then, and the
 * loser counted in memory only: a per-process budget).
 */
export const RATE_LIMIT_TABLE_STATEMENT = `CREATE TABLE IF NOT EXISTS ${RATE_LIMIT_TABLE} (
     key varchar(255) PRIMARY KEY,
     points integer NOT NULL DEFAULT 0,
     expire bigint
   )`;

const WINDOW_SECONDS = 60;

export interface RateLimitOptions {
  /** Requests per minute per identity; 0 disables (no middleware). */
  perMinute: number;
  /** With a PostgreSQL `Db` (from `openDb`), the counters are stored in it (shared across processes). */
  db?: Db;
  /** Told when a PostgreSQL store query fails (that request is then counted in this process's memory). */
  onStoreError?: (error: unknown) => void;
}

function postgresLimiter(db: Db, points: number, onStoreError?: (error: unknown) => void): RateLimiterPostgres {
  // rate-limiter-flexible talks to "a client with query({ text, values })"; the app's Db is one, in its schema.
  const storeClient = {
    query: async (q: { text: string; values?: unknown[] }) => {
      try {
        return { rows: await db.query(q.text, q.values) };
      } catch (error) {
        onStoreError?.(error);
        throw error;
      }
    },
  };
  return new RateLimiterPostgres({
    storeClient,
    storeType: "client",
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true, // by openDb (RATE_LIMIT_TABLE_STATEMENT): no DDL here, so no start-up race
    keyPrefix: "identity",
    points,
    duration: WINDOW_SECONDS,
    // If the database cannot be written, count in memory rather than refuse everyone.
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: "identity", points, duration: WINDOW_SECONDS }),
  });
}

function setHeaders(res: Response, limit: number, state: RateLimiterRes): void {
  res.setHeader("RateLimit-Policy", `${limit};w=${WINDOW_SECONDS}`);
  res.setHeader("RateLimit-Limit", String(limit));
  res.setHeader("RateLimit-Remaining", String(Math.max(0, state.remainingPoints)));
  res.setHeader("RateLimit-Reset", String(Math.max(0, Math.ceil(state.msBeforeNext / 1000))));
}

/**
 * Express middleware counting one request per authenticated identity per
 * minute. Every counted response carries `RateLimit-Policy`, `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (IETF draft); past the limit the
 * request is refused with 429 and `Retry-After` (seconds). Returns undefined when
 * `perMinute` is 0. Mount it after `auth.middleware()`.
 *
 * @example
 * const limit = rateLimit({ perMinute: 600, db });
 * app.use(auth.middleware({ public: ["/health"] }));
 * if (limit) app.use(limit);
 */
export function rateLimit(options: RateLimitOptions): RequestHandler | undefined {
  const { perMinute, db, onStoreError } = options;
  if (!Number.isInteger(perMinute) || perMinute < 0)
    throw new TypeError(`rateLimit({ perMinute }) must be an integer ≥ 0, got ${String(perMinute)}`);
  if (perMinute === 0) return undefined;
  const limiter: RateLimiterAbstract =
    db?.kind === "postgres"
      ? postgresLimiter(db, perMinute, onStoreError)
      : new RateLimiterMemory({ keyPrefix: "identity", points: perMinute, duration: WINDOW_SECONDS });

  function consume(identity: string, res: Response, next: NextFunction): void {
    limiter.consume(identity, 1).then(
      (state) => {
        setHeaders(res, perMinute, state);
        next();
      },
      (rejection: unknown) => {
        if (!(rejection instanceof RateLimiterRes)) {
          next(rejection);
          return;
        }
        setHeaders(res, perMinute, rejection);
        const retryAfter = String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        next(
          new HTTPException(429, {
            message: `Too many requests: the limit is ${perMinute} a minute; retry after ${retryAfter} s`,
            headers: { "Retry-After": retryAfter },
          }),
        );
      },
    );
  }

  return function rateLimitByIdentity(req: Request, res: Response, next: NextFunction) {
    const identity = req.auth?.user.identity;
    if (identity === undefined) {
      next(); // a public path: authentication refused everyone else already
      return;
    }
    consume(identity, res, next);
  };
}
