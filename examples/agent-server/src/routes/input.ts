import type { NextFunction, Request, RequestHandler, Response } from "express";

/**
 * Parses and validates a request before it is authorized. The parsed input
 * is what the guard hands to the authorization handler as `value`, and what
 * the route then stores: a handler that stamps `value.metadata` changes what
 * is written, as the semantics require.
 *
 * @example
 * router.post("/threads", input(parseCreate), auth.guard("threads:create", { value: parsed }), create);
 */
export function input<T extends object>(parse: (req: Request) => T): RequestHandler {
  return function parseInput(req: Request, res: Response, next: NextFunction) {
    try {
      res.locals.input = parse(req);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };
}

/** The guard's `value` option: the object `input()` parsed for this request (typed as the event's value). */
export function parsed<T>(req: Request): T {
  const value = req.res?.locals.input as T | undefined;
  if (!value) throw new Error("parsed(): mount input(parse) before the guard");
  return value;
}

/** The parsed (and possibly handler-mutated) input of this request. */
export function inputOf<T>(res: Response): T {
  return res.locals.input as T;
}

/**
 * `X-Pagination-Next` when a page was cut short by the response byte budget:
 * the offset to ask for next (the page itself holds fewer records than `limit`).
 */
export function setNextPage(res: Response, offset: number, count: number, truncated: boolean): void {
  if (truncated) res.setHeader("X-Pagination-Next", String(offset + count));
}
