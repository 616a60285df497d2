/**
 * Gatehouse drives strategies through Passport's strategy contract itself (no
 * `passport.authenticate` wrapper, for speed). This differential test proves
 * that every strategy reaches the same verdict both ways: the same user on
 * success, the same status and string challenges on failure.
 */
import express, { type Express } from "express";
import { Passport } from "passport";
import type { Strategy } from "passport";
import request from "supertest";
import { Auth } from "../src/index";
import { jwtStrategy, memoryLogger, token } from "./support/jwt-app";
import { apiKeyStrategy, bearerStrategy } from "./support/strategies";

function viaPassport(strategies: Strategy[]): Express {
  const passport = new Passport();
  const names = strategies.map((s, i) => {
    passport.use(`s${i}`, s);
    return `s${i}`;
  });
  const app = express();
  app.use(passport.initialize());
  app.get(
    "/me",
    passport.authenticate(names, { session: false }),
    (req, res) => void res.json({ identity: (req.user as { identity: string }).identity }),
  );
  return app;
}

function viaGatehouse(strategies: Strategy[]): Express {
  const auth = new Auth({ logger: memoryLogger() }).authenticate(strategies);
  const app = express();
  app.use(auth.middleware());
  app.get("/me", (req, res) => void res.json({ identity: req.auth!.user.identity }));
  return app;
}

const setups: Record<string, () => Strategy[]> = {
  "passport-jwt": () => [jwtStrategy()],
  "passport-http-bearer": () => [bearerStrategy({ "tok-1": "carol" })],
  "passport-headerapikey": () => [apiKeyStrategy({ k1: "svc" })],
  "jwt, bearer, api key": () => [jwtStrategy(), bearerStrategy({ "tok-1": "carol" }), apiKeyStrategy({ k1: "svc" })],
};

const inputs: Record<string, Record<string, string>> = {
  "valid jwt": { Authorization: `Bearer ${token("alice")}` },
  "expired jwt": { Authorization: `Bearer ${token("alice", [], { expiresIn: -5 })}` },
  "jwt, wrong alg": { Authorization: `Bearer ${token("alice", [], { algorithm: "HS384" })}` },
  "known opaque token": { Authorization: "Bearer tok-1" },
  "unknown opaque token": { Authorization: "Bearer tok-2" },
  "basic scheme": { Authorization: "Basic YWxpY2U6c2VjcmV0" },
  "empty bearer": { Authorization: "Bearer " },
  "valid api key": { "X-Api-Key": "k1" },
  "wrong api key": { "X-Api-Key": "nope" },
  nothing: {},
};

describe.each(Object.keys(setups))("%s", (setup) => {
  const passportApp = viaPassport(setups[setup]());
  const gatehouseApp = viaGatehouse(setups[setup]());

  test.each(Object.keys(inputs))("%s: same verdict as passport.authenticate", async (input) => {
    const [p, g] = await Promise.all([
      request(passportApp).get("/me").set(inputs[input]),
      request(gatehouseApp).get("/me").set(inputs[input]),
    ]);
    expect(g.status).toBe(p.status);
    if (p.status === 200) expect(g.body).toEqual(p.body);
    // Passport sends the strategies' string challenges; Gatehouse sends the same ones, plus
    // the challenges of the strategies that give none (passport-jwt's Bearer, the API key's header).
    if (p.headers["www-authenticate"]) expect(g.headers["www-authenticate"]).toContain(p.headers["www-authenticate"]);
    if (g.status === 401) expect(g.headers["www-authenticate"]).toMatch(/realm="/);
  });
});
