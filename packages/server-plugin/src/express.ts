/**
 * The thin Express adapter: the authenticate middleware, the guard, and
 * writing an error response. Everything it decides comes from the core.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { requestIdOf, type DecisionAuditor } from "./audit";
import type { AuthenticateStep } from "./authenticate";
import {
  decide,
  type AnyHandler,
  type AuthContext,
  type ConfigErrorReporter,
  type Decision,
  type Unhandled,
} from "./decision";
import { HTTPException, isHTTPException, toErrorResponse } from "./errors";
import type { Registry } from "./registry";
import { normalizeUser } from "./user";
import { setOwn } from "./own";
import { errorMessage, isRecord, isThenable } from "./values";

/** Options of `auth.middleware()`. */
export interface MiddlewareOptions {
  /**
   * Paths served without authentication: exact paths (`"/health"`), prefixes
   * ending in `/*` (`"/docs/*"`), or RegExps tested against `req.path`. Strings
   * match like Express routes do by default: case-insensitive, trailing slash optional.
   */
  public?: readonly (string | RegExp)[];
}

/** Options of `auth.guard()`. */
export interface GuardOptions<V = unknown> {
  /** Builds the handler's `value` from the request. The default depends on the action (see the README). */
  value?: (req: Request) => V;
}

/** Writes an error as JSON `{ error, message }` (plus `request_id` when the request has an id) with its headers; never a stack. */
export function sendError(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, headers, body } = toErrorResponse(err);
  res.statusCode = status;
  for (const name of Object.keys(headers)) res.setHeader(name, headers[name]);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  const requestId = requestIdOf(res.req);
  res.end(JSON.stringify(requestId === undefined ? body : { ...body, request_id: requestId }));
}

type PathTest = (path: string) => boolean;

function normalisePath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith("/") ? lower.slice(0, -1) : lower;
}

/** Compiles the `public` option once; throws a TypeError for an entry that is not a path or RegExp. */
export function compilePublicPaths(entries: readonly (string | RegExp)[] = []): PathTest {
  if (!Array.isArray(entries))
    throw new TypeError(
      'auth.middleware({ public }) takes an array of paths or RegExps, e.g. ["/health", "/docs/*", /^\\/static\\//]',
    );
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  for (const entry of entries) {
    if (entry instanceof RegExp) {
      patterns.push(new RegExp(entry.source, entry.flags.replace(/[gy]/g, "")));
    } else if (typeof entry === "string" && entry.startsWith("/")) {
      if (entry.endsWith("/*")) prefixes.push(normalisePath(entry.slice(0, -2)));
      else exact.add(normalisePath(entry));
    } else {
      throw new TypeError(
        `auth.middleware({ public }): ${JSON.stringify(entry)} is not a path starting with "/" or a RegExp`,
      );
    }
  }
  if (exact.size === 0 && prefixes.length === 0 && patterns.length === 0) return () => false;
  return function isPublic(path) {
    const p = normalisePath(path);
    if (exact.has(p)) return true;
    for (const prefix of prefixes) if (p === prefix || p.startsWith(prefix + "/") || prefix === "") return true;
    for (const pattern of patterns) if (pattern.test(path)) return true;
    return false;
  };
}

function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
}

/**
 * A CORS preflight that reached the authenticate middleware: no CORS handling
 * answered it before. It carries no credentials by design, so it is never
 * passed on to the routes unauthenticated; it gets an empty 204 without any
 * `Access-Control-Allow-*` header, which a browser reads as "cross-origin not
 * allowed". Apps that serve browsers mount their CORS middleware first.
 */
function answerUnhandledPreflight(req: Request, res: Response, report: ConfigErrorReporter): void {
  report(
    `A CORS preflight (OPTIONS ${req.path}) reached auth.middleware() unanswered, so it was answered 204 without CORS headers ` +
      "and not passed on. To allow browsers on other origins, mount your CORS middleware (e.g. app.use(cors({ origin }))) before auth.middleware().",
  );
  res.statusCode = 204;
  res.setHeader("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  res.end();
}

/** Builds the authenticate middleware around a compiled step. */
export function authenticateMiddleware(
  getStep: () => AuthenticateStep,
  isPublic: PathTest,
  report: ConfigErrorReporter,
  timeoutMs: number,
): RequestHandler {
  return function gatehouseAuthenticate(req: Request, res: Response, next: NextFunction) {
    if (isPublic(req.path)) {
      next();
      return;
    }
    if (isPreflight(req)) {
      answerUnhandledPreflight(req, res, report);
      return;
    }
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    getStep()(req, (err, raw, appUser) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (err) {
        if (!isHTTPException(err)) report(`The authenticate step failed: ${errorMessage(err)}`, err);
        sendError(res, err);
        return;
      }
      let user;
      try {
        user = normalizeUser(raw, "The authenticate step");
      } catch (invalid) {
        report((invalid as Error).message, invalid);
        sendError(res, invalid);
        return;
      }
      req.auth = { user, permissions: user.permissions };
      req.user = appUser !== undefined ? (appUser as Express.User) : user; // the app's own user object, when it has one
      next();
    });
    if (!finished && timeoutMs > 0) {
      timer = setTimeout(() => {
        if (finished) return;
        finished = true;
        report(`The authenticate step did not finish within ${timeoutMs} ms; answered 503`);
        sendError(res, new HTTPException(503, { message: "Authentication timed out; try again" }));
      }, timeoutMs);
      timer.unref();
    }
  };
}

/** Copies own enumerable properties (a `__proto__` key as data); cheaper than spreads on the hot path. */
function copyOwn(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key in source) {
    if (Object.hasOwn(source, key)) setOwn(target, key, source[key]);
  }
}

/** Actions whose value always carries a `metadata` object for handlers to stamp. */
const STAMPED_ACTIONS = new Set(["create", "update", "create_run"]);

/**
 * The default `value` for an action: route params over the JSON body (or the
 * query string when there is no body); store namespaces given as "a.b" are split.
 */
export function defaultValue(req: Request, resource: string, action: string): Record<string, unknown> {
  let source: unknown = req.body;
  if (!isRecord(source)) source = req.query; // a re-parsing getter in Express 5: read it once
  const value: Record<string, unknown> = {};
  if (isRecord(source)) copyOwn(value, source);
  copyOwn(value, req.params);
  if (resource === "store" && typeof value.namespace === "string")
    value.namespace = value.namespace === "" ? [] : value.namespace.split(".");
  if (value.metadata === undefined || value.metadata === null) {
    if (STAMPED_ACTIONS.has(action)) value.metadata = {};
  } else if (!isRecord(value.metadata)) {
    throw new HTTPException(400, { message: '"metadata" must be a JSON object' });
  }
  return value;
}

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * Whether the request has a JSON body that no body parser read: building a value
 * from it would silently drop everything the caller sent. (body-parser 2 leaves
 * `req.body` undefined when it did not run or did not match; a body exists when
 * there is a non-zero Content-Length or a Transfer-Encoding, as type-is decides.)
 */
function hasUnparsedJsonBody(req: Request): boolean {
  if (req.body !== undefined) return false;
  const { "content-type": type, "content-length": length, "transfer-encoding": encoding } = req.headers;
  if (type === undefined || !JSON_TYPE.test(type)) return false;
  return encoding !== undefined || (length !== undefined && length !== "0");
}

/** Where a namespace written back into a request must go, in the shape it came in. */
function writeNamespace(req: Request, namespace: unknown): void {
  const body: unknown = req.body;
  if (isRecord(body) && Object.hasOwn(body, "namespace")) {
    body.namespace = typeof body.namespace === "string" && Array.isArray(namespace) ? namespace.join(".") : namespace;
    return;
  }
  const query: unknown = req.query;
  if (isRecord(query) && Object.hasOwn(query, "namespace") && Array.isArray(namespace)) {
    // Express 5 re-parses req.query on every read: pin the decided value as an own property.
    Object.defineProperty(req, "query", {
      value: { ...query, namespace: namespace.join(".") },
      writable: true,
      configurable: true,
      enumerable: true,
    });
  }
}

/**
 * Makes what the route receives exactly what the handler decided: the value's
 * `metadata` replaces the request's (on update too: a field the handler removed
 * stays removed, a field it stamped cannot be overridden by the request), and a
 * store namespace the handler narrowed replaces the request's.
 */
function writeBack(req: Request, resource: string, action: string, value: unknown, original: unknown): void {
  if (!isRecord(value) || value === req.body) return;
  if (
    STAMPED_ACTIONS.has(action) ||
    Object.hasOwn(value, "metadata") ||
    (isRecord(req.body) && Object.hasOwn(req.body, "metadata"))
  ) {
    const metadata = value.metadata;
    if (req.body === undefined) req.body = {};
    if (isRecord(req.body)) {
      if (metadata === undefined) delete req.body.metadata;
      else req.body.metadata = metadata;
    }
  }
  if (resource === "store" && JSON.stringify(value.namespace) !== original) writeNamespace(req, value.namespace);
}

/** Builds the guard for one concrete event. */
export function guardMiddleware(
  registry: Registry<AnyHandler>,
  unhandled: Unhandled,
  report: ConfigErrorReporter,
  event: string,
  extract: ((req: Request) => unknown) | undefined,
  timeoutMs = 0,
  auditor?: DecisionAuditor,
): RequestHandler {
  const colon = event.indexOf(":");
  const resource = event.slice(0, colon);
  const action = event.slice(colon + 1);
  const isStore = resource === "store";
  function allow(
    req: Request,
    res: Response,
    context: AuthContext,
    value: unknown,
    original: unknown,
    decision: Decision,
    next: NextFunction,
  ) {
    if (isRecord(value) && value.metadata !== undefined && !isRecord(value.metadata)) {
      report(
        `The handler for "${event}" set value.metadata to a non-object; it must stay a plain object (or be deleted)`,
      );
      sendError(res, new HTTPException(500));
      return;
    }
    writeBack(req, resource, action, value, original);
    context.filters = decision.filters;
    next();
  }
  return function gatehouseGuard(req: Request, res: Response, next: NextFunction) {
    const context = req.auth;
    if (!context) {
      report(
        `auth.guard("${event}") ran on ${req.method} ${req.path} without an authenticated user: mount auth.middleware() before it and do not list the path as public`,
      );
      sendError(res, new HTTPException(500));
      return;
    }
    if (hasUnparsedJsonBody(req)) {
      report(
        `auth.guard("${event}") saw a JSON body on ${req.method} ${req.path} that nothing parsed, so the handler would decide on an empty value ` +
          "and the route would drop what the caller sent: mount express.json() before the guard (e.g. app.use(express.json()) before the routes).",
      );
      sendError(res, new HTTPException(500));
      return;
    }
    let value: unknown;
    let original: unknown;
    let decision: Decision | Promise<Decision>;
    try {
      value = extract ? extract(req) : defaultValue(req, resource, action);
      if (isStore && isRecord(value)) original = JSON.stringify(value.namespace); // a handler may narrow it in place
      decision = auditor
        ? auditor.decide(context, event, value, requestIdOf(req))
        : decide(registry, unhandled, report, context, event, value, timeoutMs);
    } catch (err) {
      if (!isHTTPException(err))
        report(`auth.guard("${event}") failed: ${err instanceof Error ? err.message : String(err)}`, err);
      sendError(res, err);
      return;
    }
    if (isThenable<Decision>(decision)) {
      decision.then(
        (d) => allow(req, res, context, value, original, d, next),
        (err: unknown) => sendError(res, err),
      );
    } else {
      allow(req, res, context, value, original, decision, next);
    }
  };
}
