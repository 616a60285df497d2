/**
 * The options of `langgraphGateway()`, checked when the gateway is built:
 * a mistake is a TypeError at start-up, never a surprise on the first request.
 */
import type { Auth } from "@gatehouse/express";

/**
 * What the gateway uses of a Gatehouse `Auth`: its middleware and its decisions
 * on LangGraph's built-in events. Any `new Auth()` fits, whatever its own
 * resources and user type (`Auth` itself is invariant in both).
 */
type GatewayAuth = Pick<Auth, "middleware" | "authorize">;

/**
 * Options of `langgraphGateway()`. Unknown names throw with the accepted list.
 *
 * @example
 * const options: GatewayOptions = {
 *   auth,
 *   upstream: "https://my-deployment.us.langgraph.app",
 *   upstreamHeaders: { "x-api-key": process.env.LANGGRAPH_API_KEY! },
 *   timeoutMs: 30_000,
 *   maxBodyBytes: 10 * 1024 * 1024,
 *   forwardHeaders: ["x-request-id"],
 * };
 */
export interface GatewayOptions {
  /** The Gatehouse `Auth` (authenticate step + handlers) that decides every request. */
  auth: GatewayAuth;
  /** The LangGraph server's base URL, e.g. `"http://127.0.0.1:2024"` or a LangGraph Platform deployment URL. */
  upstream: string;
  /**
   * Headers sent on every upstream request, e.g. `{ "x-api-key": process.env.LANGGRAPH_API_KEY }`.
   * Never taken from the caller: a caller header of the same name is dropped.
   */
  upstreamHeaders?: Record<string, string>;
  /**
   * Longest wait for the upstream's response headers, and for the whole body of
   * a response the gateway reads (by-id checks, searches). Past it: 504.
   * Streams (SSE, `runs/wait`) are not cut while they deliver. Default 30000.
   */
  timeoutMs?: number;
  /** Largest JSON request body accepted, in bytes; larger answers 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Largest upstream JSON answer the gateway reads to check, in bytes; larger answers 502. Default 50 MiB. */
  maxResponseBytes?: number;
  /**
   * Caller headers passed upstream besides the defaults (`accept`, `content-type`,
   * `last-event-id`, `user-agent`), e.g. `["x-request-id"]`. `authorization`,
   * `cookie` and the names in `upstreamHeaders` are refused.
   */
  forwardHeaders?: readonly string[];
  /** Public paths besides `/info`, `/ok` and `/health` (see `auth.middleware({ public })`). Default none. */
  public?: readonly string[];
  /** Where upstream failures are reported. Default: `console`. */
  logger?: { error(message: string, cause?: unknown): void };
}

/** The validated options, with defaults filled in. */
export interface ResolvedOptions {
  auth: GatewayAuth;
  origin: string;
  basePath: string;
  upstreamHeaders: Record<string, string>;
  timeoutMs: number;
  maxBodyBytes: number;
  maxResponseBytes: number;
  forwardHeaders: ReadonlySet<string>;
  public: readonly string[];
  logger: { error(message: string, cause?: unknown): void };
}

const ACCEPTED = [
  "auth",
  "upstream",
  "upstreamHeaders",
  "timeoutMs",
  "maxBodyBytes",
  "maxResponseBytes",
  "forwardHeaders",
  "public",
  "logger",
] as const;

/**
 * Caller headers that always go upstream; add more with `forwardHeaders`.
 *
 * @example
 * import { DEFAULT_FORWARD_HEADERS } from "@gatehouse/langgraph";
 * DEFAULT_FORWARD_HEADERS.includes("last-event-id"); // true: SSE reconnects resume
 */
export const DEFAULT_FORWARD_HEADERS = ["accept", "content-type", "last-event-id", "user-agent"] as const;

/** Headers the gateway sets or that describe the hop itself; never copied from the caller. */
const NEVER_FORWARD = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function fail(message: string): never {
  throw new TypeError(`langgraphGateway(): ${message}`);
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
    fail(`${name} must be a positive integer, got ${shown(value)}`);
  return value;
}

function parseUpstream(value: unknown): { origin: string; basePath: string } {
  if (typeof value !== "string" || value.length === 0)
    fail('upstream must be the LangGraph server\'s URL, e.g. "http://127.0.0.1:2024"');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`upstream ${JSON.stringify(value)} is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    fail(`upstream must be an http: or https: URL, got ${url.protocol}`);
  if (url.username || url.password)
    fail("upstream must not carry credentials in the URL: pass them in upstreamHeaders");
  if (url.search || url.hash) fail("upstream must not have a query string or fragment");
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
}

function parseUpstreamHeaders(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value))
    fail('upstreamHeaders must be an object of header name → string, e.g. { "x-api-key": key }');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) fail(`upstreamHeaders: ${JSON.stringify(name)} is not a valid header name`);
    if (NEVER_FORWARD.has(lower) && lower !== "authorization")
      fail(`upstreamHeaders: "${name}" is set by the gateway itself`);
    if (typeof v !== "string" || v.length === 0)
      fail(`upstreamHeaders["${name}"] must be a non-empty string (is the environment variable set?)`);
    if (/[\r\n\0]/.test(v)) fail(`upstreamHeaders["${name}"] contains a line break or NUL`);
    out[lower] = v;
  }
  return out;
}

function parseForwardHeaders(value: unknown, upstreamHeaders: Record<string, string>): Set<string> {
  const names = new Set<string>(DEFAULT_FORWARD_HEADERS);
  if (value === undefined) return names;
  if (!Array.isArray(value)) fail('forwardHeaders must be an array of header names, e.g. ["x-request-id"]');
  for (const name of value) {
    if (typeof name !== "string" || !TOKEN.test(name))
      fail(`forwardHeaders: ${JSON.stringify(name)} is not a valid header name`);
    const lower = name.toLowerCase();
    if (NEVER_FORWARD.has(lower))
      fail(`forwardHeaders: "${name}" is never forwarded (the caller's credentials stay at the gateway)`);
    if (Object.prototype.hasOwnProperty.call(upstreamHeaders, lower))
      fail(`forwardHeaders: "${name}" is one of upstreamHeaders and is never taken from the caller`);
    names.add(lower);
  }
  return names;
}

function parsePublic(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((p): p is string => typeof p === "string" && p.startsWith("/")))
    fail('public must be an array of paths starting with "/"');
  return [...value];
}

/** Validates the options (unknown names throw with the accepted list) and fills in defaults. */
export function resolveOptions(options: GatewayOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") fail("options must be an object: { auth, upstream }");
  const unknown = Object.keys(options).filter((k) => !(ACCEPTED as readonly string[]).includes(k));
  if (unknown.length > 0)
    fail(
      `unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; accepted: ${ACCEPTED.join(", ")}`,
    );
  const auth = options.auth as unknown as { middleware?: unknown; authorize?: unknown } | undefined;
  if (!auth || typeof auth.middleware !== "function" || typeof auth.authorize !== "function") {
    fail("auth must be a Gatehouse Auth (new Auth().authenticate(…).on(…)) from @gatehouse/express");
  }
  const { origin, basePath } = parseUpstream(options.upstream);
  const upstreamHeaders = parseUpstreamHeaders(options.upstreamHeaders);
  const logger = options.logger ?? console;
  if (!logger || typeof logger.error !== "function") fail("logger must have an error(message, cause) method");
  return {
    auth: options.auth,
    origin,
    basePath,
    upstreamHeaders,
    timeoutMs: positiveInteger(options.timeoutMs, "timeoutMs", 30_000),
    maxBodyBytes: positiveInteger(options.maxBodyBytes, "maxBodyBytes", 10 * 1024 * 1024),
    maxResponseBytes: positiveInteger(options.maxResponseBytes, "maxResponseBytes", 50 * 1024 * 1024),
    forwardHeaders: parseForwardHeaders(options.forwardHeaders, upstreamHeaders),
    public: parsePublic(options.public),
    logger,
  };
}

/** A value as an option error shows it: a primitive as itself, an object by its kind (never "[object Object]"). */
function shown(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" && value !== null ? "an object" : String(value);
}
