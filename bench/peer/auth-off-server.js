#!/usr/bin/env node
"use strict";
/**
 * BENCH ONLY, never shipped: the example agent server's thread routes and
 * middleware WITHOUT Gatehouse, to measure what authentication and
 * authorization cost on the same routes and database (`bench/peer.js`,
 * "auth off"). It mirrors `createApp` (examples/agent-server/src/app.ts) minus
 * `auth.middleware()` (no token is verified) and with each guard replaced by
 * what the example's policy decides for a valid token: the identity is the
 * token's `sub`, read WITHOUT checking the signature, creates are stamped with
 * `metadata.owner` and every read is scoped to `{ owner }`. So the routes run
 * the same SQL as with auth on. Run from the built example (`npm run build`):
 *
 *   JWT_SECRET=… DATABASE_URL=… node bench/peer/auth-off-server.js [--memory]
 *
 * It prints `Agent server listening on http://HOST:PORT` like the real one.
 */
const path = require("node:path");

const DIST = path.join(__dirname, "..", "..", "examples", "agent-server", "dist");
const load = (file) => require(path.join(DIST, file));

const express = require("express");
const { HTTPException } = require("@gatehouse/express");
const { openDb, dbOptionsFromEnv } = load("db.js");
const { requestDeadline } = load("deadline.js");
const { errorHandler, notFoundHandler } = load("errors.js");
const { refuseUnstorableStrings, requireJsonBody } = load("json-body.js");
const { limitsFromEnv, resolveLimits } = load("limits.js");
const { createLogger, httpLogger } = load("logging.js");
const { opsFromEnv } = load("ops-env.js");
const { readiness } = load("readiness.js");
const { metaRoutes } = load("routes/meta.js");
const { threadRoutes } = load("routes/threads.js");
const { closeWhenDraining } = load("shutdown.js");
const { limitBodyDepth, MAX_BODY_DEPTH } = load("validate.js");

const STAMPED = new Set(["create", "update", "create_run"]);

/** The `sub` of a Bearer JWT, decoded but NOT verified (this server is a measuring stick, not a server). */
function unverifiedSubject(req) {
  const match = /^Bearer [^.\s]+\.([^.\s]+)\.\S+$/.exec(req.headers.authorization ?? "");
  if (!match) return undefined;
  try {
    const sub = JSON.parse(Buffer.from(match[1], "base64url").toString("utf8")).sub;
    return typeof sub === "string" && sub !== "" ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** Stands in for the example's `Auth` where the routes use it: `guard()` and `authorize()`. */
const policyWithoutAuth = {
  guard(event, options = {}) {
    const action = event.slice(event.indexOf(":") + 1);
    return function fixedDecision(req, _res, next) {
      const identity = unverifiedSubject(req);
      if (identity === undefined) return next(new HTTPException(401, { message: "No identity in the token" }));
      const value = options.value ? options.value(req) : {};
      if (STAMPED.has(action)) value.metadata = { ...value.metadata, owner: identity };
      req.auth = { user: { identity }, permissions: [], filters: { owner: identity } };
      next();
    };
  },
  async authorize(context) {
    return { filters: { owner: context.user.identity } };
  },
};

async function main() {
  const env = process.env;
  const ops = opsFromEnv(env);
  const db = await openDb({
    ...dbOptionsFromEnv(env, process.argv.slice(2)),
    statementTimeoutMs: ops.statementTimeoutMs,
    readCacheBytes: ops.readCacheBytes,
  });
  const logger = createLogger({ level: ops.logLevel });
  const lifecycle = { draining: false };
  const limits = resolveLimits(limitsFromEnv(env));

  // createApp's stack, in its order, minus auth.middleware() (and the rate limit and CORS, which the
  // benchmark turns off on the real server too). The request deadline stays: the real server has it.
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(httpLogger(logger), closeWhenDraining(lifecycle));
  const deadline = requestDeadline(ops.requestTimeoutMs);
  if (deadline) app.use(deadline);
  app.use(readiness(db, lifecycle));
  app.use(metaRoutes(db));
  app.use(requireJsonBody(), express.json({ limit: "1mb" }), limitBodyDepth(MAX_BODY_DEPTH), refuseUnstorableStrings());
  app.use(threadRoutes(db, policyWithoutAuth, limits));
  app.use(notFoundHandler);
  app.use(errorHandler);

  const server = app.listen(Number(env.PORT ?? 0), env.HOST || "127.0.0.1");
  await new Promise((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const { address, port } = server.address();
  console.log(`Agent server listening on http://${address}:${port} (bench only: auth OFF)`);
  console.log(`Database: ${db.description}`);
  const stop = () => {
    lifecycle.draining = true;
    server.close(() => void db.close().finally(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error) => {
  console.error(`auth-off server failed to start: ${error?.stack ?? error}`);
  process.exit(1);
});
