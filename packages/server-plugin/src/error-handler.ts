/**
 * The app's last middleware, rendering any error the way the Gatehouse
 * middleware and guards do, so a route's errors and Gatehouse's own look alike.
 */
import type { ErrorRequestHandler, NextFunction, Request, Response } from "express";
import { HTTPException, isHTTPException } from "./errors";
import { sendError } from "./express";
import { checkOptionNames } from "./options";

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /**
   * Maps an error the app knows to an `HTTPException` the caller may see (e.g. a
   * database's "value too long" to 400); return `undefined`/`null` for the rest.
   */
  map?: (err: unknown, req: Request) => HTTPException | null | undefined;
  /** Receives server faults (everything rendered as 500). Default: `console`. */
  logger?: { error(message: string, cause?: unknown): void };
}

/** Errors Express's own body parser raises, as the caller should see them. */
function bodyParserError(err: unknown): HTTPException | null {
  const type = (err as { type?: unknown } | null)?.type;
  switch (type) {
    case "entity.parse.failed":
      return new HTTPException(400, { message: "The request body is not valid JSON" });
    case "entity.too.large":
      return new HTTPException(413, { code: "payload_too_large", message: "The request body is too large" });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new HTTPException(415, { code: "unsupported_media_type", message: "Send the body as UTF-8 JSON" });
    default:
      return null;
  }
}

/**
 * An Express error handler that renders any error as Gatehouse's JSON body
 * `{ error, message }` with its headers (`WWW-Authenticate`, `Retry-After`…),
 * `Cache-Control: no-store` and never a stack: an `HTTPException` as itself,
 * body-parser errors as 400/413/415, what `map` recognises as it says, and
 * anything else as a 500 with the generic message and one log line. After the
 * response has started, the connection is closed instead.
 *
 * @example
 * app.use(auth.middleware());
 * app.use(routes);
 * app.use(errorHandler());
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  checkOptionNames("errorHandler(options)", options, ["map", "logger"]);
  const { map, logger = console } = options;
  if (map !== undefined && typeof map !== "function")
    throw new TypeError("errorHandler({ map }): map must be a function (err, req) => HTTPException | undefined");
  if (!logger || typeof logger.error !== "function")
    throw new TypeError("errorHandler({ logger }): logger must have an error(message, cause) method");
  return function gatehouseErrorHandler(err: unknown, req: Request, res: Response, _next: NextFunction) {
    let known: HTTPException | null | undefined = isHTTPException(err) ? err : bodyParserError(err);
    if (!known && map) {
      try {
        known = map(err, req);
      } catch (mapError) {
        logger.error(`errorHandler({ map }) threw while mapping an error of ${req.method} ${req.path}`, mapError);
      }
    }
    if (!known || known.status >= 500) logger.error(`${req.method} ${req.path} failed`, err);
    sendError(res, known ?? new HTTPException(500));
  };
}
