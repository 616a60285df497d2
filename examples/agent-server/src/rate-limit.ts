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

/** The table that holds the counters on PostgreSQL (created when missing). */
export const RATE_LIMIT_TABLE = "gatehouse_rate_limits";

const WINDOW_SECONDS = 60;

export interface RateLimitOptions {
  /** Requests per minute per identity; 0 disables (no middleware). */
  perMinute: number;
  /** With a PostgreSQL `Db`, the counters are stored in it (shared across processes). */
  db?: Db;
  /** Told when the PostgreSQL store cannot be set up (the limiter then counts in memory). */
  onStoreError?: (error: unknown) => void;
}

function postgresLimiter(db: Db, points: number, insurance: RateLimiterMemory): Promise<RateLimiterAbstract> {
  // rate-limiter-flexible talks to "a client with query({ text, values })"; the app's Db is one, in its schema.
  const storeClient = {
    query: async (q: { text: string; values?: unknown[] }) => ({ rows: await db.query(q.text, q.values) }),
  };
  return new Promise((resolve, reject) => {
    const limiter: RateLimiterPostgres = new RateLimiterPostgres(
      {
        storeClient,
        storeType: "client",
        tableName: RATE_LIMIT_TABLE,
        keyPrefix: "identity",
        points,
        duration: WINDOW_SECONDS,
        insuranceLimiter: insurance,
      },
      (error?: Error | null) => (error ? reject(error) : resolve(limiter)),
    );
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
  const memory = new RateLimiterMemory({ keyPrefix: "identity", points: perMinute, duration: WINDOW_SECONDS });
  let limiter: RateLimiterAbstract = memory;
  let ready: Promise<unknown> | undefined;
  if (db?.kind === "postgres") {
    // Until the table exists, and if the database cannot be written, count in memory rather than refuse everyone.
    const insurance = new RateLimiterMemory({ keyPrefix: "identity", points: perMinute, duration: WINDOW_SECONDS });
    ready = postgresLimiter(db, perMinute, insurance).then(
      (stored) => {
        limiter = stored;
        ready = undefined;
      },
      (error: unknown) => {
        ready = undefined;
        onStoreError?.(error);
      },
    );
  }

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
    if (ready)
      void ready.then(() => consume(identity, res, next)); // ready never rejects: a store error falls back to memory
    else consume(identity, res, next);
  };
}
