import type { NextFunction, Request, Response } from "express";
import { HTTPException, isHTTPException, toErrorResponse } from "@gatehouse/express";
import { isDatabaseUnavailable } from "./db-unavailable";
import { LimitExceededError } from "./limits";
import { databaseTimeout, isDatabaseTimeout } from "./deadline";
import { logOf, requestIdOf } from "./logging";

/** The request's id (from pino-http) for error bodies, so a caller can quote it. */
function withRequestId<T extends object>(req: Request, body: T): T & { request_id?: string } {
  const id = requestIdOf(req);
  return id === undefined ? body : { ...body, request_id: id };
}

// PostgreSQL rejected a value the caller sent (e.g. "\u0000" in JSON): bad input, not a server fault.
const BAD_INPUT_SQLSTATES = new Set(["22P05", "22021", "22P02", "54000"]);

/** Turns a thrown error into an HTTPException the caller may see; null when it is a server fault. */
export function asHttpError(err: unknown): HTTPException | null {
  if (isHTTPException(err)) return err;
  const e = err as { type?: string; status?: number; code?: string } | null;
  if (e?.type === "entity.parse.failed")
    return new HTTPException(400, { message: "The request body is not valid JSON" });
  if (e?.type === "entity.too.large")
    return new HTTPException(413, { code: "payload_too_large", message: "The request body is too large (limit 1 MB)" });
  if (e?.type === "encoding.unsupported" || e?.type === "charset.unsupported") {
    return new HTTPException(415, { code: "unsupported_media_type", message: "Send the body as UTF-8 JSON" });
  }
  if (err instanceof LimitExceededError)
    return new HTTPException(413, { code: "payload_too_large", message: err.message });
  if (isDatabaseTimeout(err)) return databaseTimeout(err);
  if (isDatabaseUnavailable(err)) {
    return new HTTPException(503, {
      message: "The database is unavailable; try again shortly",
      headers: { "Retry-After": "1" },
      cause: err,
    });
  }
  if (typeof e?.code === "string" && BAD_INPUT_SQLSTATES.has(e.code)) {
    return new HTTPException(400, {
      message:
        "A value in the request cannot be stored (strings must not contain NUL characters or lone UTF-16 surrogates)",
    });
  }
  return null;
}

/** The last middleware: every error becomes JSON `{ error, message }`; a stack never leaves the server. */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const known = asHttpError(err);
  const log = logOf(req);
  if (!known) {
    if (log) log.error({ err }, `${req.method} ${req.path} failed`);
    else console.error(`${req.method} ${req.path} failed:`, err);
  } else if (known.status === 503) {
    const what = `${req.method} ${req.path}: database ${isDatabaseTimeout(err) ? "timed out" : "unavailable"}: ${err instanceof Error ? err.message : String(err)}`;
    if (log) log.error(what);
    else console.error(what);
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, headers, body } = toErrorResponse(known ?? err);
  res.status(status).set(headers).set("Cache-Control", "no-store").json(withRequestId(req, body));
}

/** For paths no route serves (after authentication). */
export function notFoundHandler(req: Request, res: Response): void {
  res.status(404).json(withRequestId(req, { error: "not_found", message: `No route for ${req.method} ${req.path}` }));
}
