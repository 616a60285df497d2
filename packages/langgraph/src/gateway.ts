/**
 * `langgraphGateway()`: the Express Router that authenticates every request,
 * maps it to LangGraph's auth event, enforces the handler's answer and proxies
 * the rest to an unmodified LangGraph server.
 */
import express, { Router, type NextFunction, type Request, type Response } from "express";
import { HTTPException, toErrorResponse } from "@gatehouse/express";
import { Call } from "./call";
import { copy, create, read, scoped, search, update, versions } from "./enforce-records";
import { batchRun, cronCreate, cronDelete, cronSearch, statelessRun, threadRun } from "./enforce-runs";
import { storeDelete, storeGet, storeNamespaces, storePut, storeSearch } from "./enforce-store";
import { resolveOptions, type GatewayOptions } from "./options";
import { GATEWAY_ROUTES, type RouteKind } from "./routes";
import { Upstream } from "./upstream";

const ENFORCE: Record<RouteKind, (call: Call) => Promise<void>> = {
  public: (call) => call.forward(call.req.method, call.upstreamPath() + call.query()),
  create,
  read,
  search,
  count: search,
  update,
  scoped,
  copy,
  versions,
  "thread-run": threadRun,
  "stateless-run": statelessRun,
  "batch-run": batchRun,
  "cron-create": cronCreate,
  "cron-search": cronSearch,
  "cron-delete": cronDelete,
  "store-put": storePut,
  "store-get": storeGet,
  "store-delete": storeDelete,
  "store-search": storeSearch,
  "store-namespaces": storeNamespaces,
};

/**
 * Paths the gateway serves without authentication: LangGraph's `/info` and
 * `/ok`, and the gateway's own `/health` (`{ "status": "ok" }`, not forwarded).
 *
 * @example
 * import { PUBLIC_PATHS } from "@gatehouse/langgraph";
 * PUBLIC_PATHS.includes("/info"); // true
 */
export const PUBLIC_PATHS: readonly string[] = Object.freeze(["/info", "/ok", "/health"]);

function sendError(res: Response, err: unknown): void {
  const { status, headers, body } = toErrorResponse(err);
  res.status(status).set(headers).set("Cache-Control", "no-store").json(body);
}

const JSON_TYPES = ["application/json", "application/*+json"];

/**
 * A body that is not JSON is a 415, never silently dropped. (LangGraph also
 * reads text/plain as JSON; the gateway does not, since a cross-site page may
 * send text/plain with the user's cookies without a CORS preflight.)
 */
function requireJson(req: Request, res: Response, next: NextFunction): void {
  const hasBody =
    req.headers["transfer-encoding"] !== undefined ||
    (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
  if (hasBody && !req.is(JSON_TYPES)) {
    sendError(
      res,
      new HTTPException(415, {
        code: "unsupported_media_type",
        message: "Send the body as JSON (Content-Type: application/json)",
      }),
    );
    return;
  }
  next();
}

/** A body-parser failure as the caller should see it. */
function bodyError(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const type = (err as { type?: string } | null)?.type;
  if (type === "entity.parse.failed")
    sendError(res, new HTTPException(400, { message: "The request body is not valid JSON" }));
  else if (type === "entity.too.large")
    sendError(res, new HTTPException(413, { code: "payload_too_large", message: "The request body is too large" }));
  else if (type === "encoding.unsupported" || type === "charset.unsupported")
    sendError(res, new HTTPException(415, { code: "unsupported_media_type", message: "Send the body as UTF-8 JSON" }));
  else next(err);
}

/**
 * The Router `langgraphGateway()` returns, plus `close()` to release its upstream connections.
 *
 * @example
 * const gateway = langgraphGateway({ auth, upstream });
 * app.use("/agents", gateway);
 * process.on("SIGTERM", () => server.close(() => gateway.close()));
 */
export type GatewayRouter = Router & { close(): Promise<void> };

/**
 * Puts a Gatehouse `Auth` in front of an unmodified LangGraph server. The
 * Router mounts `auth.middleware()` itself (with `/info`, `/ok` and `/health`
 * public), so mounting it is the whole setup; every LangGraph route is mapped
 * to the auth event LangGraph raises for it, and any other path is 404.
 *
 * @example
 * import express from "express";
 * import { Auth, jwtStrategy } from "@gatehouse/express";
 * import { langgraphGateway } from "@gatehouse/langgraph";
 *
 * const auth = new Auth()
 *   .authenticate(jwtStrategy({ secret: process.env.JWT_SECRET!, algorithms: ["HS256"] }))
 *   .on("*", ({ user, value }) => {
 *     if (value && typeof value === "object" && "metadata" in value) value.metadata = { ...value.metadata, owner: user.identity };
 *     return { owner: user.identity };
 *   });
 * const app = express();
 * app.use("/agents", langgraphGateway({
 *   auth,
 *   upstream: "http://127.0.0.1:2024",
 *   upstreamHeaders: { "x-api-key": process.env.LANGGRAPH_API_KEY! },
 * }));
 */
export function langgraphGateway(options: GatewayOptions): GatewayRouter {
  const resolved = resolveOptions(options);
  const upstream = new Upstream(resolved);
  const authenticate = resolved.auth.middleware({ public: [...PUBLIC_PATHS, ...resolved.public] });
  const json = express.json({ limit: resolved.maxBodyBytes, type: JSON_TYPES });
  const router = Router() as GatewayRouter;

  router.get("/health", (_req, res) => {
    res.set("Cache-Control", "no-store").json({ status: "ok" });
  });
  // Always its own authentication, even when the app set req.auth before (another middleware's req.auth,
  // e.g. express-jwt's claims, must never pass for a Gatehouse user).
  router.use(authenticate);
  for (const route of GATEWAY_ROUTES) {
    const enforce = ENFORCE[route.kind];
    const handle = (req: Request, res: Response): void => {
      const call = new Call(req, res, route, upstream, resolved);
      enforce(call).catch((err: unknown) => call.fail(err));
    };
    const method = route.method.toLowerCase() as "get" | "post" | "put" | "patch" | "delete";
    if (route.method === "GET") router[method](route.path, handle);
    else router[method](route.path, requireJson, json, bodyError, handle);
  }
  // Fail closed: a route LangGraph may have but the gateway has not mapped is never forwarded.
  router.use((_req: Request, res: Response) => {
    sendError(res, new HTTPException(404, { message: "No such route on this gateway" }));
  });
  router.close = () => upstream.close();
  return router;
}
