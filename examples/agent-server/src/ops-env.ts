/**
 * The operational settings of `npm start`, read from the environment once and
 * checked there, so a typo stops the server at start with a message instead
 * of running without a limit.
 */

/** What `main.ts` needs to run the server in production. */
export interface OpsSettings {
  /** Requests per minute per identity; 0 disables. `RATE_LIMIT_PER_MINUTE`, default 600. */
  rateLimitPerMinute: number;
  /** Longest a request may go unanswered before 504; 0 disables. `REQUEST_TIMEOUT_MS`, default 30000. */
  requestTimeoutMs: number;
  /** Longest one SQL statement may run before 503; 0 disables. `STATEMENT_TIMEOUT_MS`, default 5000. */
  statementTimeoutMs: number;
  /** How long SIGTERM waits for in-flight requests and streams. `SHUTDOWN_TIMEOUT_MS`, default 10000. */
  shutdownTimeoutMs: number;
  /** pino level: fatal, error, warn, info, debug, trace or silent. `LOG_LEVEL`, default info. */
  logLevel: string;
  /** Processes to run (node:cluster); 1 runs in this process. `WORKERS`, default 1. */
  workers: number;
  /** PGlite: bytes of read results kept until the next write; 0 disables. `PGLITE_READ_CACHE_BYTES`, default 16 MiB. */
  readCacheBytes: number;
}

import { DEFAULT_READ_CACHE_LIMITS } from "./read-cache";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Reads the settings; throws an Error naming the variable for a bad value.
 *
 * @example
 * opsFromEnv({ RATE_LIMIT_PER_MINUTE: "0", WORKERS: "2" }); // { rateLimitPerMinute: 0, workers: 2, requestTimeoutMs: 30000, … }
 */
export function opsFromEnv(env: NodeJS.ProcessEnv): OpsSettings {
  const logLevel = (env.LOG_LEVEL || "info").toLowerCase();
  if (!LEVELS.includes(logLevel))
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  return {
    rateLimitPerMinute: integer(env, "RATE_LIMIT_PER_MINUTE", 600, 0, 1_000_000),
    requestTimeoutMs: integer(env, "REQUEST_TIMEOUT_MS", 30_000, 0, 3_600_000),
    statementTimeoutMs: integer(env, "STATEMENT_TIMEOUT_MS", 5_000, 0, 3_600_000),
    shutdownTimeoutMs: integer(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 3_600_000),
    logLevel,
    workers: integer(env, "WORKERS", 1, 1, 64),
    readCacheBytes: integer(env, "PGLITE_READ_CACHE_BYTES", DEFAULT_READ_CACHE_LIMITS.maxBytes, 0, 2 ** 30),
  };
}
