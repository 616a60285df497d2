import type { NextFunction, Request, RequestHandler, Response } from "express";
import { HTTPException } from "@gatehouse/express";
import { badRequest } from "./validate";

/** Whether the request carries a body (a non-zero Content-Length, or chunked). */
function hasBody(req: Request): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = Number(req.headers["content-length"] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Every route of this API takes JSON: a body in any other type (`text/plain`,
 * a form, multipart, none named) is a 415, not silently read as `{}`.
 * Mount it before `express.json()`.
 *
 * @example
 * app.use(requireJsonBody(), express.json({ limit: "1mb" }));
 */
export function requireJsonBody(): RequestHandler {
  return function refuseNonJsonBodies(req: Request, _res: Response, next: NextFunction) {
    if (hasBody(req) && !req.is("application/json")) {
      const type = req.headers["content-type"];
      next(
        new HTTPException(415, {
          code: "unsupported_media_type",
          message: `Send the body as JSON with "Content-Type: application/json" (got ${type ? JSON.stringify(type.split(";")[0].trim().slice(0, 100)) : "no Content-Type"})`,
        }),
      );
      return;
    }
    next();
  };
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with a string PostgreSQL cannot store (as text or inside JSONB), or null. */
function unstorable(text: string): "NUL" | "surrogate" | null {
  if (text.includes("\u0000")) return "NUL";
  if (LONE_SURROGATE.test(text)) return "surrogate";
  return null;
}

/** The first key or string value in `value` that PostgreSQL cannot store, and why; iterative. */
function findUnstorable(value: unknown): "NUL" | "surrogate" | null {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      const problem = unstorable(v);
      if (problem) return problem;
    } else if (v !== null && typeof v === "object") {
      for (const [key, inner] of Object.entries(v)) {
        const problem = unstorable(key);
        if (problem) return problem;
        stack.push(inner);
      }
    }
  }
  return null;
}

/** The 400 for a string PostgreSQL cannot store, saying which kind it is. */
function unstorableError(problem: "NUL" | "surrogate"): HTTPException {
  return badRequest(
    problem === "NUL"
      ? "A string in the request contains a NUL character (\\u0000), which cannot be stored"
      : "A string in the request contains a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which cannot be stored: send valid Unicode",
  );
}

/**
 * Refuses a parsed JSON body holding a key or string PostgreSQL cannot store
 * (NUL, a lone surrogate) with a 400 that says which, before any route runs.
 *
 * @example
 * app.use(express.json(), refuseUnstorableStrings());
 */
export function refuseUnstorableStrings(): RequestHandler {
  return function rejectUnstorable(req: Request, _res: Response, next: NextFunction) {
    const problem = req.body !== null && typeof req.body === "object" ? findUnstorable(req.body) : null;
    next(problem ? unstorableError(problem) : undefined);
  };
}
