import passport, { Passport } from "passport";
import request from "supertest";
import { Strategy as JwtStrategy, ExtractJwt } from "passport-jwt";
import { Auth, HTTPException } from "../src/index";
import { SECRET, appWith, jwtStrategy, memoryLogger, token } from "./support/jwt-app";
import { ScriptedStrategy, apiKeyStrategy, bearerStrategy } from "./support/strategies";

function echoApp(auth: Auth<any, any>) {
  return appWith(auth, (app) => app.get("/me", (req, res) => void res.json({ auth: req.auth, user: req.user })));
}

describe("unmodified Passport strategies", () => {
  test("passport-jwt: a valid HS256 token authenticates; req.auth and req.user carry the normalised user", async () => {
    const app = echoApp(new Auth().authenticate(jwtStrategy()));
    const res = await request(app)
      .get("/me")
      .set("Authorization", `Bearer ${token("alice", ["threads:read"])}`);
    expect(res.status).toBe(200);
    const user = { identity: "alice", permissions: ["threads:read"], is_authenticated: true, display_name: "alice" };
    expect(res.body).toEqual({ auth: { user, permissions: ["threads:read"] }, user });
  });

  test("passport-jwt: expired, tampered and wrong-algorithm tokens are 401 invalid_token with an RFC 6750 challenge", async () => {
    const app = echoApp(new Auth({ realm: "agents" }).authenticate(jwtStrategy()));
    const expired = token("alice", [], { expiresIn: -10 });
    const good = token("alice");
    const tampered = good.slice(0, -3) + (good.endsWith("AAA") ? "BBB" : "AAA");
    const hs512 = token("alice", [], { algorithm: "HS512" });
    for (const bad of [expired, tampered, hs512, "not-a-jwt"]) {
      const res = await request(app).get("/me").set("Authorization", `Bearer ${bad}`);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe("invalid_token");
      expect(res.headers["www-authenticate"]).toMatch(
        /^Bearer realm="agents", error="invalid_token", error_description="[^"]+"$/,
      );
    }
  });

  test("no credential: 401 credentials_required, challenge without an error attribute", async () => {
    const res = await request(echoApp(new Auth().authenticate(jwtStrategy()))).get("/me");
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: "credentials_required",
      message: expect.stringMatching(/Authentication required/),
    });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api"');
  });

  test("passport-http-bearer: its own RFC 6750 challenge is passed through", async () => {
    const app = echoApp(new Auth().authenticate(bearerStrategy({ "tok-1": "carol" })));
    const ok = await request(app).get("/me").set("Authorization", "Bearer tok-1");
    expect(ok.body.auth.user.identity).toBe("carol");
    const bad = await request(app).get("/me").set("Authorization", "Bearer nope");
    expect(bad.status).toBe(401);
    expect(bad.headers["www-authenticate"]).toBe('Bearer realm="Users", error="invalid_token"');
    const none = await request(app).get("/me");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="Users"');
  });

  test("passport-headerapikey: extra user fields are kept", async () => {
    const app = echoApp(new Auth().authenticate(apiKeyStrategy({ k1: "svc" })));
    const ok = await request(app).get("/me").set("X-Api-Key", "k1");
    expect(ok.body.auth.user).toEqual({
      identity: "svc",
      via: "api-key",
      permissions: [],
      is_authenticated: true,
      display_name: "svc",
    });
    const bad = await request(app).get("/me").set("X-Api-Key", "k2");
    expect(bad.status).toBe(401);
    expect((await request(app).get("/me")).status).toBe(401);
  });

  test("an array of strategies: first success wins, in order", async () => {
    const auth = new Auth().authenticate([
      jwtStrategy(),
      bearerStrategy({ "tok-1": "carol" }),
      apiKeyStrategy({ k1: "svc" }),
    ]);
    const app = echoApp(auth);
    expect(
      (
        await request(app)
          .get("/me")
          .set("Authorization", `Bearer ${token("alice")}`)
      ).body.user.identity,
    ).toBe("alice");
    expect((await request(app).get("/me").set("Authorization", "Bearer tok-1")).body.user.identity).toBe("carol");
    expect((await request(app).get("/me").set("X-Api-Key", "k1")).body.user.identity).toBe("svc");
    // All three fail: one 401 for the chain.
    const res = await request(app).get("/me").set("Authorization", "Bearer nope").set("X-Api-Key", "wrong");
    expect(res.status).toBe(401);
    // Every strategy's challenge is sent, in order: passport-jwt's (built by Gatehouse), passport-http-bearer's own,
    // the API key's header; each rejected one says invalid_token.
    expect(res.headers["www-authenticate"]).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The credentials are invalid", ' +
        'Bearer realm="Users", error="invalid_token", ApiKey header="X-API-Key", realm="api", error="invalid_token"',
    );
    expect(res.body.error).toBe("invalid_token");
  });

  test("strategy names on the application's passport instance", async () => {
    const theirs = new Passport();
    theirs.use("jwt", jwtStrategy());
    theirs.use("bearer", bearerStrategy({ "tok-1": "carol" }));
    const app = echoApp(new Auth({ passport: theirs }).authenticate(["jwt", "bearer"]));
    expect((await request(app).get("/me").set("Authorization", "Bearer tok-1")).body.user.identity).toBe("carol");
    expect(
      (
        await request(app)
          .get("/me")
          .set("Authorization", `Bearer ${token("dave")}`)
      ).body.user.identity,
    ).toBe("dave");
  });

  test("strategy-name mistakes are caught when authenticate() runs", () => {
    expect(() => new Auth().authenticate("jwt")).toThrow(/pass the Passport instance.*new Auth\(\{ passport \}\)/);
    expect(() => new Auth({ passport: new Passport() }).authenticate("jwt")).toThrow(
      /No Passport strategy named "jwt"/,
    );
    expect(() => new Auth().authenticate([])).toThrow(/empty array/);
    expect(() => new Auth().authenticate(42 as never)).toThrow(/takes a Passport strategy instance/);
    expect(() => new Auth().authenticate(jwtStrategy()).authenticate(jwtStrategy() as never)).toThrow(/already called/);
    expect(() => new Auth().middleware()).toThrow(/call auth.authenticate\(strategy\) first/);
  });

  test("the global passport singleton is never touched", async () => {
    const before = Object.keys((passport as unknown as { _strategies: object })._strategies).sort();
    const app = echoApp(new Auth().authenticate([jwtStrategy(), bearerStrategy({})]));
    await request(app)
      .get("/me")
      .set("Authorization", `Bearer ${token("alice")}`);
    expect(Object.keys((passport as unknown as { _strategies: object })._strategies).sort()).toEqual(before);
  });
});

describe("the five Passport outcomes", () => {
  const logger = memoryLogger();
  const scripted = new ScriptedStrategy({
    ok: { kind: "success", user: { identity: "erin", permissions: ["x"] } },
    "ok-async": { kind: "async-success", user: "frank" },
    fail: { kind: "fail", challenge: 'Custom realm="x"' },
    "fail-400": { kind: "fail", challenge: undefined, status: 400 },
    "fail-async": { kind: "async-fail", challenge: 'Custom realm="later"' },
    error: { kind: "error", error: new Error("ldap is down at 10.0.0.3") },
    pass: { kind: "pass" },
    redirect: { kind: "redirect", url: "https://idp.example/login" },
    throw: { kind: "throw", error: new Error("strategy bug") },
    twice: { kind: "twice" },
    junk: { kind: "success", user: 42 },
  });
  const app = echoApp(new Auth({ logger }).authenticate(scripted));
  const call = (outcome: string) => request(app).get("/me").set("x-outcome", outcome);

  test("success (sync and async) authenticates", async () => {
    expect((await call("ok")).body.user).toEqual({
      identity: "erin",
      permissions: ["x"],
      is_authenticated: true,
      display_name: "erin",
    });
    expect((await call("ok-async")).body.user.identity).toBe("frank");
  });

  test("fail → 401 carrying the strategy's challenge; a 4xx status given by the strategy is kept", async () => {
    const res = await call("fail");
    expect([res.status, res.headers["www-authenticate"]]).toEqual([401, 'Custom realm="x"']);
    expect((await call("fail-async")).headers["www-authenticate"]).toBe('Custom realm="later"');
    const bad = await call("fail-400");
    expect([bad.status, bad.body.error, bad.headers["www-authenticate"]]).toEqual([400, "bad_request", undefined]);
  });

  test("error and a throwing strategy → 500 with a generic body; the cause goes to the log only", async () => {
    for (const outcome of ["error", "throw"]) {
      const res = await call(outcome);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: "internal_error", message: "Internal server error" });
      expect(res.text).not.toMatch(/ldap|10\.0\.0\.3|strategy bug|at /);
    }
    expect(logger.messages.join("\n")).toMatch(/ldap is down/);
  });

  test("pass does not let the request through unauthenticated: it is a 401", async () => {
    const res = await call("pass");
    expect(res.status).toBe(401);
    expect(res.body.user).toBeUndefined();
  });

  test("redirect is a configuration error for an API: 500 and a log line saying why", async () => {
    const res = await call("redirect");
    expect(res.status).toBe(500);
    expect(res.headers.location).toBeUndefined();
    expect(logger.messages.join("\n")).toMatch(
      /tried to redirect to https:\/\/idp.example\/login. An API cannot answer with a login redirect/,
    );
  });

  test("only the first outcome counts", async () => {
    const res = await call("twice");
    expect([res.status, res.body.user.identity]).toEqual([200, "first"]);
  });

  test("a strategy producing a non-user is a 500 that tells the developer what to return", async () => {
    const res = await call("junk");
    expect(res.status).toBe(500);
    expect(logger.messages.join("\n")).toMatch(
      /returned number 42 instead of a user. Return a non-empty identity string, or an object like/,
    );
  });
});

describe("async verify callbacks", () => {
  test("a verify that rejects becomes a 500, never an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const strategy = new JwtStrategy(
        { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ["HS256"] },
        (() => Promise.reject(new Error("user store unavailable"))) as never,
      );
      const logger = memoryLogger();
      const app = echoApp(new Auth({ logger }).authenticate(strategy));
      const res = await request(app)
        .get("/me")
        .set("Authorization", `Bearer ${token("alice")}`);
      expect(res.status).toBe(500);
      expect(res.body.error).toBe("internal_error");
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      expect(logger.messages.join("\n")).toMatch(/user store unavailable/);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("an async verify that resolves and calls done works", async () => {
    const strategy = new JwtStrategy(
      { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ["HS256"] },
      (async (payload: { sub: string }, done: (e: unknown, u?: unknown) => void) => {
        await new Promise((r) => setImmediate(r));
        done(null, payload.sub);
      }) as never,
    );
    const res = await request(echoApp(new Auth().authenticate(strategy)))
      .get("/me")
      .set("Authorization", `Bearer ${token("gina")}`);
    expect(res.body.user.identity).toBe("gina");
  });

  test("a step that never finishes answers 503 after timeoutMs", async () => {
    const hang = new ScriptedStrategy({});
    hang.authenticate = () => undefined;
    const logger = memoryLogger();
    const res = await request(echoApp(new Auth({ timeoutMs: 50, logger }).authenticate(hang))).get("/me");
    expect(res.status).toBe(503);
    expect(res.body.error).toBe("service_unavailable");
    expect(logger.messages.join("\n")).toMatch(/did not finish within 50 ms/);
  });
});

describe("an authenticate function", () => {
  const fn = new Auth({ logger: memoryLogger() }).authenticate(async (req) => {
    await Promise.resolve(); // settles on a later tick, as a real lookup would
    const key = req.headers["x-key"];
    if (key === "str") return "hank";
    if (key === "obj") return { identity: "ida", permissions: ["a", "b"], display_name: "Ida", org: "acme" };
    if (key === "teapot") throw new HTTPException(418, { message: "short and stout", headers: { "X-Why": "tea" } });
    if (key === "crash") throw new Error("secret-internal-detail");
    if (key === "null") return null as never;
    if (key === "bad-perms") return { identity: "x", permissions: "admin" } as never;
    if (key === "no-identity") return { id: "x" } as never;
    if (key === "empty") return "";
    throw new HTTPException(401, {
      message: "Missing or invalid X-Key",
      headers: { "WWW-Authenticate": 'ApiKey realm="api"' },
    });
  });
  const app = echoApp(fn);
  const call = (key?: string) => (key ? request(app).get("/me").set("x-key", key) : request(app).get("/me"));

  test("a string is the identity", async () => {
    expect((await call("str")).body.user).toEqual({
      identity: "hank",
      permissions: [],
      is_authenticated: true,
      display_name: "hank",
    });
  });

  test("an object keeps its fields and gets defaults only where missing", async () => {
    expect((await call("obj")).body.auth).toEqual({
      user: { identity: "ida", permissions: ["a", "b"], display_name: "Ida", org: "acme", is_authenticated: true },
      permissions: ["a", "b"],
    });
  });

  test("a thrown HTTPException is exactly that status, message and headers", async () => {
    const res = await call("teapot");
    expect([res.status, res.body.message, res.headers["x-why"]]).toEqual([418, "short and stout", "tea"]);
    const unauth = await call();
    expect([unauth.status, unauth.headers["www-authenticate"], unauth.body.message]).toEqual([
      401,
      'ApiKey realm="api"',
      "Missing or invalid X-Key",
    ]);
  });

  test.each(["crash", "null", "bad-perms", "no-identity", "empty"])("%s → 500 with a generic body", async (key) => {
    const res = await call(key);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: "internal_error", message: "Internal server error" });
  });
});
