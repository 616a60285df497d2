"use strict";
/**
 * Auth pipeline micro-benchmark (no sockets, no HTTP parsing): the same
 * middleware each HTTP scenario mounts, run on a fresh request object per
 * iteration, so the cost of authentication and authorization alone can be
 * read in microseconds per request. Together with bare Express's server CPU
 * per request from the HTTP benchmark it gives the best ratio an app could
 * reach: express / (express + auth).
 */
const { createSecretKey } = require("node:crypto");
const { Auth, jwtStrategy, matchFilters } = require("./lib/gatehouse").gatehouse();
const { SECRET, THREAD, THREAD_ID, ROUTE, validToken } = require("./http/fixture");
const { median, round } = require("./lib/stats");

function toUser(payload, done) {
  done(null, { identity: payload.sub, permissions: payload.scopes || [] });
}

function passportChain(secretOrKey) {
  const { Passport } = require("passport");
  const { Strategy, ExtractJwt } = require("passport-jwt");
  const passport = new Passport();
  passport.use(new Strategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey }, toUser));
  return [passport.initialize(), passport.authenticate("jwt", { session: false })];
}

function gatehouseChain(strategy, full) {
  const auth = new Auth({ unhandled: "deny" }).authenticate(strategy);
  if (!full) return [auth.middleware({ public: ["/health"] })];
  auth.on("*", ({ user }) => ({ owner: user.identity }));
  const route = (req, res, next) => {
    if (req.params.thread_id !== THREAD_ID || !matchFilters(req.auth.filters, THREAD.metadata))
      throw new Error("filter did not match");
    next();
  };
  return [auth.middleware({ public: ["/health"] }), auth.guard("threads:read"), route];
}

const gatehouseJwt = (cache) => jwtStrategy({ secret: SECRET, algorithms: ["HS256"], cache });

/** Scenario id (as in the HTTP benchmark) → a middleware chain. */
const PIPELINES = {
  express: () => [],
  "passport-jwt": () => passportChain(SECRET),
  "passport-jwt-keyobject": () => passportChain(createSecretKey(Buffer.from(SECRET))),
  "express-jwt": () => [require("express-jwt").expressjwt({ secret: SECRET, algorithms: ["HS256"] })],
  "gatehouse-passport-jwt": () => {
    const { Strategy, ExtractJwt } = require("passport-jwt");
    return gatehouseChain(
      new Strategy(
        { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ["HS256"] },
        toUser,
      ),
      false,
    );
  },
  "gatehouse-jwt": () => gatehouseChain(gatehouseJwt(false), false),
  "gatehouse-jwt-cache": () => gatehouseChain(gatehouseJwt(true), false),
  "gatehouse-full-nocache": () => gatehouseChain(gatehouseJwt(false), true),
  "gatehouse-full": () => gatehouseChain(gatehouseJwt(true), true),
};

const response = {
  statusCode: 200,
  headersSent: false,
  setHeader() {},
  getHeader() {},
  status() {
    return this;
  },
  json(body) {
    throw new Error(`unexpected response ${JSON.stringify(body)}`);
  },
  end(body) {
    throw new Error(`unexpected response ${body}`);
  },
};

function run(chain, req) {
  return new Promise((resolve, reject) => {
    let i = 0;
    const next = (err) => {
      if (err) return reject(err);
      const middleware = chain[i++];
      if (!middleware) return resolve(req);
      try {
        middleware(req, response, next);
      } catch (e) {
        reject(e);
      }
    };
    next();
  });
}

function request(authorization) {
  return {
    method: "GET",
    url: ROUTE,
    originalUrl: ROUTE,
    path: ROUTE,
    headers: { host: "127.0.0.1", authorization },
    params: { thread_id: THREAD_ID },
    query: {},
    body: undefined,
    is: () => false, // Express's answer for a request without a body (the guard asks before deciding)
  };
}

async function perRequestNs(chain, authorization, ms) {
  const batch = 500;
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) await run(chain, request(authorization));
    n += batch;
    t = performance.now();
  }
  return ((t - t0) * 1e6) / n;
}

/**
 * @param {{ durationMs: number, rounds: number, scenarios?: string[], log?: (line: string) => void }} options
 */
async function runPipeline(options) {
  const log = options.log ?? (() => {});
  const authorization = `Bearer ${validToken()}`;
  const ids = (options.scenarios ?? Object.keys(PIPELINES)).filter((id) => PIPELINES[id]);
  if (!ids.includes("express")) ids.unshift("express");
  const chains = Object.fromEntries(ids.map((id) => [id, PIPELINES[id]()]));
  for (const id of ids) {
    const req = await run(chains[id], request(authorization));
    if (id !== "express" && (req.auth ?? req.user) === undefined)
      throw new Error(`pipeline ${id}: the request was not authenticated`);
    await perRequestNs(chains[id], authorization, options.durationMs / 2);
  }
  const samples = Object.fromEntries(ids.map((id) => [id, []]));
  for (let r = 0; r < options.rounds; r++) {
    for (const id of ids) samples[id].push(await perRequestNs(chains[id], authorization, options.durationMs));
    log(
      `pipeline: round ${r + 1}/${options.rounds} ${ids.map((id) => `${id} ${(samples[id].at(-1) / 1000).toFixed(2)} µs`).join(", ")}`,
    );
  }
  const harness = median(samples.express);
  return {
    note: "µs per request for the auth middleware alone, harness cost (a promise and a request object) subtracted",
    harnessUs: round(harness / 1000, 2),
    scenarios: ids
      .filter((id) => id !== "express")
      .map((id) => ({ id, authUs: round(Math.max(0, median(samples[id]) - harness) / 1000, 2) })),
  };
}

module.exports = { runPipeline, PIPELINES };
