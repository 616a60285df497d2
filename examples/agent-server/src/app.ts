import express, { type Express } from "express";
import { createAuth, type OidcOptions } from "./auth";
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
  const { db, jwtSecret, corsOrigins = [], oidc } = options;
  const limits = resolveLimits(options.limits);
  const auth = createAuth({ jwtSecret, oidc, apiKeys: db }); // API keys live in the app's database
  const app = express();
  app.disable("x-powered-by");
  if (corsOrigins.length > 0) app.use(cors(corsOrigins));
  app.use(auth.middleware({ public: [...PUBLIC_PATHS] }));
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
