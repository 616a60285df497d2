/**
 * Size limits that keep one user's big record from stalling everyone: every
 * later request on a thread reads and rewrites its whole state, PGlite has a
 * single worker, and a search answers with whole records.
 */
export interface Limits {
  /**
   * Largest thread state (its `values` as JSON), in bytes; a run that would
   * pass it is a 413. A thread's metadata, which patches add to, has the same
   * limit. Default 10 MB.
   */
  maxThreadStateBytes: number;
  /** Most messages in a thread's state; a run that would pass it is a 413. Default 10,000. */
  maxThreadMessages: number;
  /**
   * About how many bytes of records one search or run listing answers with.
   * A page is cut short before the record that would pass it (the first
   * record always comes), and `X-Pagination-Next` gives the offset to go on
   * from. Default 10 MB.
   */
  maxResponseBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxThreadStateBytes: 10 * 1024 * 1024,
  maxThreadMessages: 10_000,
  maxResponseBytes: 10 * 1024 * 1024,
});

/** The environment variable for each limit. */
export const LIMIT_ENV: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxThreadStateBytes: "MAX_THREAD_STATE_BYTES",
  maxThreadMessages: "MAX_THREAD_MESSAGES",
  maxResponseBytes: "MAX_RESPONSE_BYTES",
});

const NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/** A write that would take a record past a limit; answered 413 with this message (see errors.ts). */
export class LimitExceededError extends Error {
  override readonly name = "LimitExceededError";
}

/**
 * Throws `LimitExceededError` when a thread state is over the state-size or
 * message-count limit; returns the state as JSON (to store) otherwise.
 */
export function checkThreadState(
  state: { messages?: unknown },
  limits: Pick<Limits, "maxThreadStateBytes" | "maxThreadMessages">,
): string {
  const messages = Array.isArray(state.messages) ? state.messages.length : 0;
  if (messages > limits.maxThreadMessages) {
    throw new LimitExceededError(
      `This run would give the thread ${messages} messages, over the limit of ${limits.maxThreadMessages} (MAX_THREAD_MESSAGES): start a new thread`,
    );
  }
  const json = JSON.stringify(state);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > limits.maxThreadStateBytes) {
    throw new LimitExceededError(
      `This run would make the thread's state ${bytes} bytes, over the limit of ${limits.maxThreadStateBytes} bytes (MAX_THREAD_STATE_BYTES): start a new thread`,
    );
  }
  return json;
}

/**
 * The limits with defaults filled in; unknown names and values that are not
 * positive integers are configuration errors.
 *
 * @example
 * resolveLimits({ maxThreadStateBytes: 1024 * 1024 }); // 1 MB states, other limits default
 */
export function resolveLimits(options: Partial<Limits> = {}): Limits {
  const unknown = Object.keys(options).filter((name) => !(NAMES as string[]).includes(name));
  if (unknown.length > 0) throw new TypeError(`Unknown limits: ${unknown.join(", ")}; accepted: ${NAMES.join(", ")}`);
  const limits = { ...DEFAULT_LIMITS };
  for (const name of NAMES) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1)
      throw new TypeError(`limits.${name} must be a positive integer, got ${JSON.stringify(value)}`);
    limits[name] = value;
  }
  return limits;
}

/**
 * `MAX_THREAD_STATE_BYTES`, `MAX_THREAD_MESSAGES`, `MAX_RESPONSE_BYTES`:
 * positive integers (bytes, or a count); unset means the default.
 *
 * @example
 * createApp({ db, jwtSecret, limits: limitsFromEnv(process.env) });
 */
export function limitsFromEnv(env: NodeJS.ProcessEnv): Partial<Limits> {
  const limits: Partial<Limits> = {};
  for (const name of NAMES) {
    const raw = env[LIMIT_ENV[name]];
    if (raw === undefined || raw === "") continue;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
      throw new Error(`${LIMIT_ENV[name]} must be a positive integer, got ${JSON.stringify(raw)}`);
    }
    limits[name] = Number(raw);
  }
  return limits;
}
