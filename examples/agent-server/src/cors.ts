import type { NextFunction, Request, RequestHandler, Response } from "express";

/**
 * CORS for an explicit list of origins, mounted before authentication so a
 * preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered
 * without credentials. Other origins get no CORS headers (the browser blocks them).
 *
 * @example
 * app.use(cors(["http://localhost:5173"]));
 */
export function cors(origins: readonly string[]): RequestHandler {
  for (const origin of origins) {
    if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new TypeError(
        `CORS origin ${JSON.stringify(origin)} must look like "http://localhost:5173" (scheme and host, no path) or be "*"`,
      );
    }
  }
  const anyOrigin = origins.includes("*");
  const allowed = new Set(origins);
  return function corsMiddleware(req: Request, res: Response, next: NextFunction) {
    const origin = req.headers.origin;
    if (!origin || !(anyOrigin || allowed.has(origin))) {
      next();
      return;
    }
    res.vary("Origin");
    res.setHeader("Access-Control-Allow-Origin", anyOrigin ? "*" : origin);
    res.setHeader(
      "Access-Control-Expose-Headers",
      "Content-Location, Location, WWW-Authenticate, X-Pagination-Next, X-Pagination-Total",
    );
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
      res.setHeader(
        "Access-Control-Allow-Headers",
        req.headers["access-control-request-headers"] ?? "Authorization, Content-Type",
      );
      res.setHeader("Access-Control-Max-Age", "600");
      res.vary("Access-Control-Request-Headers");
      res.status(204).end();
      return;
    }
    next();
  };
}

/** `CORS_ORIGINS="http://a.example,http://b.example"` → a list (empty when unset). */
export function corsOriginsFromEnv(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}
