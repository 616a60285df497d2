import express, { type Express } from "express";
import { createAuth, type OidcOptions } from "./auth";
import { requestDeadline } from "./deadline";
import { authLogger, createLogger, decisionLogger, httpLogger, requestIdOf, type Logger } from "./logging";
import { rateLimit } from "./rate-limit";
import { readiness, type Lifecycle } from "./readiness";
import { closeWhenDraining } from "./shutdown";
import { cors } from "./cors";
import type { Db } from "./db";
import { errorHandler, notFoundHandler } from "./errors";
import { refuseUnstorableStrings, requireJsonBody } from "./json-body";
import { assistantRoutes } from "./routes/assistants";
import { cronRoutes } from "./routes/crons";
import { metaRoutes, PUBLIC_PATHS } from "./routes/meta";
import { runRoutes } from "./routes/runs";
import { storeRoutes } from "./routes/store";
import { threadRoutes } from "./routes/threads";
import { resolveLimits, type Limits } from "./limits";
import { limitBodyDepth, MAX_BODY_DEPTH } from "./validate";

export interface AppOptions {
  /** An open database (see `openDb`); the app does not close it. */
  db: Db;
  /** The HS256 secret tokens are signed with. */
  jwtSecret: string;
  /** Origins allowed to call from a browser, e.g. ["http://localhost:5173"]; none by default. */
  corsOrigins?: readonly string[];
  /** pino logger for request lines, authorization decisions (at info) and errors; none: silent, request ids still given. */
  logger?: Logger;
  /** Requests per minute per identity (0: no limit, the default here; `npm start` defaults to 600). */
  rateLimitPerMinute?: number;
  /** 504 for a request not answered within this many ms (0: no deadline, the default here). */
  requestTimeoutMs?: number;
  /** Shared with the shutdown: while `draining`, `/ready` is 503 and connections close after their response. */
  lifecycle?: Lifecycle;
  /** Size limits (thread state, messages, response bytes); see `Limits` for the defaults. */
  limits?: Partial<Limits>;
  /** Also accept access tokens of this OpenID provider (see `oidcFromEnv`). */
  oidc?: OidcOptions;
}

/**
 * The agent server as an Express app: LangGraph's REST routes for threads,
 * runs, assistants, crons and the store, behind Gatehouse.
 *
 * @example
 * const db = await openDb({ memory: true });
 * const app = createApp({ db, jwtSecret: process.env.JWT_SECRET! });
 * app.listen(2024, "127.0.0.1");
 */
export function createApp(options: AppOptions): Express {
  const {
    db,
    jwtSecret,
    corsOrigins = [],
    oidc,
    rateLimitPerMinute = 0,
    requestTimeoutMs = 0,
    lifecycle = { draining: false },
  } = options;
  const limits = resolveLimits(options.limits);
  const logger = options.logger ?? createLogger({ level: "silent" });
  const auth = createAuth({
    jwtSecret,
    oidc,
    apiKeys: db,
    onDecision: decisionLogger(logger),
    ...(options.logger ? { logger: authLogger(logger) } : {}),
  }); // API keys live in the app's database
  const app = express();
  app.disable("x-powered-by");
  // No ETag: answers depend on who asks and change with every write; hashing each body cost CPU and saved nothing.
  app.set("etag", false);
  app.use(httpLogger(logger), closeWhenDraining(lifecycle));
  const deadline = requestDeadline(requestTimeoutMs, (req) =>
    logger.warn({ reqId: requestIdOf(req) }, `no response within ${requestTimeoutMs} ms: answered 504`),
  );
  if (deadline) app.use(deadline);
  if (corsOrigins.length > 0) app.use(cors(corsOrigins));
  app.use(readiness(db, lifecycle));
  app.use(auth.middleware({ public: [...PUBLIC_PATHS] }));
  const limit = rateLimit({
    perMinute: rateLimitPerMinute,
    db,
    onStoreError: (err) => logger.error({ err }, "rate limits: the PostgreSQL store failed; counted in memory"),
  });
  if (limit) app.use(limit);
  app.use(metaRoutes(db));
  app.use(requireJsonBody(), express.json({ limit: "1mb" }), limitBodyDepth(MAX_BODY_DEPTH), refuseUnstorableStrings());
  app.use(threadRoutes(db, auth, limits));
  app.use(runRoutes(db, auth, limits));
  app.use(assistantRoutes(db, auth, limits));
  app.use(cronRoutes(db, auth, limits));
  app.use(storeRoutes(db, auth, limits));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
