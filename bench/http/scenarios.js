"use strict";
/**
 * The HTTP scenarios: one Express 5 app each, all serving the same route and
 * payload (`GET /threads/:thread_id` → a thread as JSON); only authentication
 * and authorization differ. Each is built in its own child process by server.js.
 */
const { createSecretKey } = require("node:crypto");
const express = require("express");
const { SECRET, THREAD, THREAD_ID } = require("./fixture");

function sendThread(req, res) {
  res.json(THREAD);
}

function toUser(payload, done) {
  done(null, { identity: payload.sub, permissions: payload.scopes || [] });
}

function jwtOptions(secretOrKey, extra = {}) {
  const { ExtractJwt } = require("passport-jwt");
  return { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey, ...extra };
}

/** passport-jwt mounted the way its README and most tutorials do it. */
function passportApp(secretOrKey) {
  const passport = require("passport");
  const { Strategy: JwtStrategy } = require("passport-jwt");
  passport.use(new JwtStrategy(jwtOptions(secretOrKey), toUser));
  const app = express();
  app.use(passport.initialize());
  app.get("/threads/:thread_id", passport.authenticate("jwt", { session: false }), sendThread);
  return app;
}

/** The single-owner policy of semantics.md §3: stamp the owner on create, scope everything else to it. */
function singleOwner(auth) {
  return auth
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity };
    })
    .on("*", ({ user }) => ({ owner: user.identity }));
}

/** Authenticate + guard + filter: the route answers 404 unless the thread matches the caller's filter. */
function fullApp(strategy) {
  const { Auth, matchFilters } = require("../lib/gatehouse").gatehouse();
  const auth = singleOwner(new Auth({ unhandled: "deny" }).authenticate(strategy));
  const app = express();
  app.use(auth.middleware({ public: ["/health"] }));
  app.get("/threads/:thread_id", auth.guard("threads:read"), (req, res) => {
    if (req.params.thread_id !== THREAD_ID || !matchFilters(req.auth.filters, THREAD.metadata)) {
      res.status(404).json({ error: "not_found", message: "Thread not found" });
      return;
    }
    res.json(THREAD);
  });
  return app;
}

function gatehouseApp(strategy) {
  const { Auth } = require("../lib/gatehouse").gatehouse();
  const auth = new Auth().authenticate(strategy);
  const app = express();
  app.use(auth.middleware({ public: ["/health"] }));
  app.get("/threads/:thread_id", sendThread);
  return app;
}

const jwtStrategy = (options = {}) =>
  require("../lib/gatehouse")
    .gatehouse()
    .jwtStrategy({ secret: SECRET, algorithms: ["HS256"], ...options });

/** Scenario id → { label, auth (whether an invalid token must get 401), build() }. Order is the table's order. */
module.exports = {
  express: {
    label: "bare Express 5",
    auth: false,
    build() {
      const app = express();
      app.get("/threads/:thread_id", sendThread);
      return app;
    },
  },
  "express-noop": {
    label: "bare Express 5 + 2 no-op middleware (the floor for any auth middleware + guard)",
    auth: false,
    build() {
      const app = express();
      app.use((req, res, next) => next());
      app.get("/threads/:thread_id", (req, res, next) => next(), sendThread);
      return app;
    },
  },
  "passport-jwt": {
    label: "passport-jwt, string secret (common config)",
    auth: true,
    build: () => passportApp(SECRET),
  },
  "passport-jwt-keyobject": {
    label: "passport-jwt, KeyObject secret",
    auth: true,
    build: () => passportApp(createSecretKey(Buffer.from(SECRET))),
  },
  "express-jwt": {
    label: "express-jwt 8, string secret",
    auth: true,
    build() {
      const { expressjwt } = require("express-jwt");
      const app = express();
      app.use(expressjwt({ secret: SECRET, algorithms: ["HS256"] }));
      app.get("/threads/:thread_id", sendThread);
      // express-jwt passes failures to next(err); apps answer them with an error handler like this one.
      app.use(
        (err, req, res, _next) =>
          void res.status(err.status || 500).json({ error: err.code || "internal_error", message: err.message }),
      );
      return app;
    },
  },
  "gatehouse-passport-jwt": {
    label: "Gatehouse authenticate(new JwtStrategy), string secret",
    auth: true,
    build() {
      const { Strategy: JwtStrategy } = require("passport-jwt");
      return gatehouseApp(new JwtStrategy(jwtOptions(SECRET, { algorithms: ["HS256"] }), toUser));
    },
  },
  "gatehouse-jwt": {
    label: "Gatehouse authenticate(jwtStrategy())",
    auth: true,
    build: () => gatehouseApp(jwtStrategy()),
  },
  "gatehouse-jwt-cache": {
    label: "Gatehouse authenticate(jwtStrategy({ cache }))",
    auth: true,
    build: () => gatehouseApp(jwtStrategy({ cache: true })),
  },
  "gatehouse-full-nocache": {
    label: "Gatehouse jwtStrategy() + guard + owner filter",
    auth: true,
    build: () => fullApp(jwtStrategy()),
  },
  "gatehouse-full": {
    label: "Gatehouse jwtStrategy({ cache }) + guard + owner filter",
    auth: true,
    build: () => fullApp(jwtStrategy({ cache: true })),
  },
};
