/**
 * Structured logs with pino and pino-http: one JSON line per event, a request
 * id on every line of a request (`reqId`, also the `X-Request-Id` response
 * header and `request_id` in error bodies), authorization decisions at `info`,
 * and credentials redacted wherever a header is logged.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request, RequestHandler } from "express";
import type { AuthLogger, DecisionHook } from "@gatehouse/express";
import pino, { type DestinationStream, type Logger } from "pino";
import { pinoHttp } from "pino-http";

export type { Logger } from "pino";

/** Header values never written to a log. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "authorization",
  "token",
];

/**
 * The server's logger: JSON lines at `level` to `destination` (stdout by
 * default), credentials redacted.
 *
 * @example
 * const logger = createLogger({ level: process.env.LOG_LEVEL ?? "info" });
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    options.destination ?? pino.destination(1), // synchronous: nothing is lost when the process exits,
  );
}

/** A caller-chosen request id is kept when it is short and plain; otherwise a new UUID. */
const CALLER_ID = /^[A-Za-z0-9._:-]{1,100}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const id = typeof incoming === "string" && CALLER_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader("X-Request-Id", id);
  return id;
}

/** The headers a request line shows when sent; the credential ones only as `[redacted]` (see {@link REDACTED_PATHS}). */
export const LOGGED_HEADERS = [
  "authorization",
  "cookie",
  "x-api-key",
  "proxy-authorization",
  "user-agent",
  "content-type",
  "content-length",
];

/** What a request line says of the request: a few headers, never a body. */
function requestFields(req: IncomingMessage): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  return {
    id: requestIdOf(req),
    method: req.method,
    url: (req as { originalUrl?: string }).originalUrl ?? req.url,
    remoteAddress: req.socket?.remoteAddress,
    headers,
  };
}

/**
 * pino-http: gives each request `req.id` and `req.log` (a child logger with
 * `reqId`), and logs one line when the response finishes (`warn` for 4xx
 * except 404, `error` for 5xx) with `req` (id, method, url, remote address,
 * {@link LOGGED_HEADERS}), `res` (status code) and `responseTime`.
 *
 * pino-http serializes `req` for every request, logged or not; pino's
 * standard serializers copy and redact every header, which cost about a
 * sixth of a cached `GET /threads/:id` (bench/peer.js). These write only the
 * fields above.
 *
 * @example
 * app.use(httpLogger(logger));
 */
export function httpLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: requestId,
    wrapSerializers: false,
    serializers: {
      req: requestFields,
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    quietReqLogger: true,
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 && res.statusCode !== 404 ? "warn" : "info",
  });
}

/**
 * The `onDecision` hook writing each authorization decision at `info`
 * (`msg: "authorization decision"`, `decision: { event, identity, outcome,
 * handler, … }`, `reqId`); undefined when `info` is not enabled, so no hook runs.
 *
 * @example
 * new Auth({ onDecision: decisionLogger(logger) });
 */
export function decisionLogger(logger: Logger): DecisionHook | undefined {
  if (!logger.isLevelEnabled("info")) return undefined;
  return (decision) => logger.info({ reqId: decision.requestId, decision }, "authorization decision");
}

/** Gatehouse's configuration errors as `error` lines. */
export function authLogger(logger: Logger): AuthLogger {
  return { error: (message, cause) => logger.error(cause === undefined ? {} : { err: cause }, message) };
}

/** The request's id (always a string: {@link httpLogger} makes it) when pino-http ran. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = (req as { id?: unknown }).id;
  return typeof id === "string" ? id : undefined;
}

/** The request's logger (with its id) when pino-http ran, else the server's. */
export function logOf(req: Request, fallback?: Logger): Pick<Logger, "error" | "warn" | "info"> | undefined {
  return (req as { log?: Logger }).log ?? fallback;
}
