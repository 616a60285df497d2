/**
 * When and how long to wait before retrying: idempotent methods (and POST
 * when the call opts in) on 429, 502, 503, 504 and network errors, a bounded
 * number of times, waiting `Retry-After` (capped) or an exponential backoff
 * with jitter.
 */
import { AbortError, HttpError, NetworkError, type ErrorDetails } from "./errors";

/**
 * The client's retry policy (`createClient({ retry })`); a number is the limit.
 *
 * @example
 * ```ts
 * createClient({ baseURL, retry: { limit: 3, maxDelay: 10_000 } });
 * createClient({ baseURL, retry: 0 }); // never retry
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt; default 2. */
  limit?: number;
  /** First backoff in milliseconds, doubled each retry (with jitter); default 500. */
  baseDelay?: number;
  /** Longest wait in milliseconds, `Retry-After` included; default 30 000. */
  maxDelay?: number;
}

export interface RetryPolicy {
  limit: number;
  baseDelay: number;
  maxDelay: number;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export function retryPolicy(value: unknown, where: string): RetryPolicy {
  const defaults: RetryPolicy = { limit: 2, baseDelay: 500, maxDelay: 30_000 };
  if (value === undefined) return defaults;
  if (value === false) return { ...defaults, limit: 0 };
  if (typeof value === "number") return { ...defaults, limit: count(value, `${where}`) };
  if (value === null || typeof value !== "object")
    throw new TypeError(`${where} must be a number or { limit, baseDelay, maxDelay }`);
  const known = ["limit", "baseDelay", "maxDelay"];
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw new TypeError(`${where}: unknown option(s) ${unknown.join(", ")}; accepted: ${known.join(", ")}`);
  const v = value as RetryOptions;
  return {
    limit: v.limit === undefined ? defaults.limit : count(v.limit, `${where}.limit`),
    baseDelay: v.baseDelay === undefined ? defaults.baseDelay : count(v.baseDelay, `${where}.baseDelay`),
    maxDelay: v.maxDelay === undefined ? defaults.maxDelay : count(v.maxDelay, `${where}.maxDelay`),
  };
}

function count(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${where} must be a non-negative number, got ${String(value)}`);
  }
  return value;
}

/**
 * How many retries this call may make: `retry: true` opts a POST or PATCH in,
 * `retry: false` opts out, a number sets the limit for this call.
 */
export function retriesFor(method: string, perCall: boolean | number | undefined, policy: RetryPolicy): number {
  if (perCall === false) return 0;
  if (typeof perCall === "number") return count(perCall, "retry");
  if (perCall === true || IDEMPOTENT.has(method)) return policy.limit;
  return 0;
}

/** Milliseconds to wait before retry number `n` (0-based) after `err`, or undefined when it must not be retried. */
export function retryDelay(err: unknown, n: number, limit: number, policy: RetryPolicy): number | undefined {
  if (n >= limit) return undefined;
  const retryable = err instanceof NetworkError || (err instanceof HttpError && RETRY_STATUSES.has(err.status));
  if (!retryable) return undefined;
  if (err instanceof HttpError && err.retryAfter !== undefined) return Math.min(err.retryAfter * 1000, policy.maxDelay);
  return backoff(n, policy);
}

/** Exponential backoff with jitter: between half and all of `baseDelay * 2^n`, capped. */
export function backoff(n: number, policy: Pick<RetryPolicy, "baseDelay" | "maxDelay">): number {
  const ceiling = Math.min(policy.maxDelay, policy.baseDelay * 2 ** n);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Wait `ms`, or reject with `AbortError` as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal | undefined, details: ErrorDetails): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError({ ...details, cause: signal.reason }));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError({ ...details, cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
