/**
 * Faults in the application's own code, as Gatehouse must survive them: an
 * authenticate step or an authorization handler that throws, returns junk,
 * rejects later, or hangs. Each is a 500 (503 for a timeout) with a generic
 * body that reveals nothing of the fault (it goes to the logger instead), the
 * route never runs (nothing is written), no second response is attempted when
 * a late result arrives, and the app answers the next request.
 */
import express, { type Express } from "express";
import type passport from "passport";
import { Strategy as PassportJwtStrategy, ExtractJwt } from "passport-jwt";
import request from "supertest";
import { Auth, HTTPException } from "../../src/index";
import { memoryLogger, SECRET, token } from "../support/jwt-app";
import { ScriptedStrategy } from "../support/strategies";

const SECRET_DETAIL = "db-password=hunter2 at /srv/app/secret.ts:42";
const GENERIC_500 = { error: "internal_error", message: "Internal server error" };
const TIMEOUT_MS = 50;

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A store the route writes to: it must stay empty whenever authentication or authorization fails. */
const written: unknown[] = [];

function appWith(auth: Auth<any, any>): Express {
  const app = express();
  app.use(express.json());
  app.use(auth.middleware());
  app.post("/threads", auth.guard("threads:create"), (req, res) => {
    written.push(req.body);
    res.json({ ok: true, identity: req.auth!.user.identity });
  });
  return app;
}

async function expectFault(app: Express, status: 500 | 503, logger: ReturnType<typeof memoryLogger>): Promise<void> {
  const res = await request(app)
    .post("/threads")
    .set("Authorization", `Bearer ${token("alice")}`)
    .send({ metadata: { n: 1 } });
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  if (status === 500) expect(res.body).toEqual(GENERIC_500);
  else expect(res.body).toEqual({ error: "service_unavailable", message: expect.any(String) });
  expect(res.text).not.toContain("hunter2");
  expect(res.text).not.toMatch(/\bat .*\(|\.ts:\d+|<pre>|Error:/);
  expect(written).toEqual([]);
  if (status === 500)
    expect(logger.messages.join("\n")).toMatch(/authenticate step|handler for "threads:create"|strategy/);
}

function thrower(value: unknown) {
  return () => {
    throw value;
  };
}

const JUNK: [string, unknown][] = [
  ["undefined", undefined],
  ["null", null],
  ["a number", 42],
  ["an empty string", ""],
  ["true", true],
  ["an array", ["alice"]],
  ["an object without identity", { name: "alice" }],
  ["a numeric identity", { identity: 5 }],
  ["permissions that are not an array of strings", { identity: "alice", permissions: "threads:write" }],
  ["a function", () => "alice"],
  ["a symbol", Symbol("alice")],
];

const THROWN: [string, unknown][] = [
  ["an Error with internals in its message", new Error(SECRET_DETAIL)],
  ["a TypeError", new TypeError(SECRET_DETAIL)],
  ["a string", SECRET_DETAIL],
  ["undefined", undefined],
  ["null", null],
  ["a plain object", { message: SECRET_DETAIL, status: 401 }],
  [
    "an object posing as an HTTPException without being one",
    Object.assign(new Error(SECRET_DETAIL), { status: 200, code: "ok" }),
  ],
];

afterEach(() => {
  written.length = 0;
});

describe("authenticate step: a function", () => {
  const build = (fn: (req: unknown) => unknown) => {
    const logger = memoryLogger();
    return { app: appWith(new Auth({ logger, timeoutMs: TIMEOUT_MS }).authenticate(fn).on("*", () => true)), logger };
  };

  test.each(THROWN)("throws %s: 500", async (_name, value) => {
    const { app, logger } = build(thrower(value));
    await expectFault(app, 500, logger);
  });

  test.each(THROWN)("rejects later with %s: 500", async (_name, value) => {
    const { app, logger } = build(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw value;
    });
    await expectFault(app, 500, logger);
  });

  test.each(JUNK)("returns %s: 500", async (_name, value) => {
    const { app, logger } = build(() => value);
    await expectFault(app, 500, logger);
  });

  test.each(JUNK)("resolves to %s: 500", async (_name, value) => {
    const { app, logger } = build(() => Promise.resolve(value));
    await expectFault(app, 500, logger);
  });

  test("returns a thenable whose then() throws: 500", async () => {
    const { app, logger } = build(() => ({ then: thrower(new Error(SECRET_DETAIL)) }));
    await expectFault(app, 500, logger);
  });

  test("hangs: 503 after timeoutMs; when it finally resolves, the route does not run", async () => {
    const late = deferred<unknown>();
    const { app, logger } = build(() => late.promise);
    await expectFault(app, 503, logger);
    late.resolve({ identity: "alice" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual([]);
  });

  test("the control: an HTTPException keeps its status, and a good user reaches the route", async () => {
    expect(
      (
        await request(build(thrower(new HTTPException(401, { message: "no" }))).app)
          .post("/threads")
          .send({})
      ).status,
    ).toBe(401);
    const ok = await request(build(() => "alice").app)
      .post("/threads")
      .send({});
    expect(ok.status).toBe(200);
    expect(written).toHaveLength(1);
  });
});

describe("authenticate step: Passport strategies", () => {
  const scripted = new ScriptedStrategy({
    throw: { kind: "throw", error: new Error(SECRET_DETAIL) },
    error: { kind: "error", error: new Error(SECRET_DETAIL) },
    "error-undefined": { kind: "error", error: undefined },
    junk: { kind: "success", user: 42 },
    "junk-async": { kind: "async-success", user: { identity: 7 } },
    redirect: { kind: "redirect", url: "https://login.example/?next=/threads" },
  });
  const logger = memoryLogger();
  const app = appWith(new Auth({ logger, timeoutMs: TIMEOUT_MS }).authenticate(scripted).on("*", () => true));

  test.each(["throw", "error", "error-undefined", "junk", "junk-async", "redirect"])(
    "a strategy whose outcome is %s: 500",
    async (outcome) => {
      const res = await request(app).post("/threads").set("x-outcome", outcome).send({});
      expect(res.status).toBe(500);
      expect(res.body).toEqual(GENERIC_500);
      expect(res.text).not.toContain("hunter2");
      expect(written).toEqual([]);
    },
  );

  test("a strategy that never calls back: 503", async () => {
    const silent = { name: "silent", authenticate() {} } as unknown as passport.Strategy;
    const log = memoryLogger();
    await expectFault(
      appWith(new Auth({ logger: log, timeoutMs: TIMEOUT_MS }).authenticate(silent).on("*", () => true)),
      503,
      log,
    );
  });

  test("passport-jwt with an async verify that rejects: 500, and no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const strategy = new PassportJwtStrategy(
        { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ["HS256"] },
        (() => Promise.reject(new Error(SECRET_DETAIL))) as never,
      );
      const log = memoryLogger();
      await expectFault(appWith(new Auth({ logger: log }).authenticate(strategy).on("*", () => true)), 500, log);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("authorization handler", () => {
  const build = (handler: (input: { value: { metadata: Record<string, unknown> } }) => unknown) => {
    const logger = memoryLogger();
    const auth = new Auth({ logger, timeoutMs: TIMEOUT_MS })
      .authenticate(() => "alice")
      .on("threads:create", handler as never);
    return { app: appWith(auth), logger };
  };

  test.each(THROWN)("throws %s: 500", async (_name, value) => {
    const { app, logger } = build(thrower(value));
    await expectFault(app, 500, logger);
  });

  test.each(THROWN)("rejects later with %s: 500", async (_name, value) => {
    const { app, logger } = build(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw value;
    });
    await expectFault(app, 500, logger);
  });

  const JUNK_RESULTS: [string, unknown][] = [
    ["a string", "yes"],
    ["a number", 1],
    ["NaN", NaN],
    ["an array", [{ owner: "alice" }]],
    ["a function", () => true],
    ["a symbol", Symbol("allow")],
    ["a filter with an unknown operator", { owner: { $ne: "bob" } }],
    ["a filter with a nested object value", { owner: { name: "alice" } }],
    ["a filter with a $-prefixed field", { $where: "1=1" }],
    ["a Date", new Date()],
  ];

  test.each(JUNK_RESULTS)("returns %s: 500 (fail closed)", async (_name, value) => {
    const { app, logger } = build(() => value);
    await expectFault(app, 500, logger);
  });

  test.each(JUNK_RESULTS)("resolves to %s: 500 (fail closed)", async (_name, value) => {
    const { app, logger } = build(() => Promise.resolve(value));
    await expectFault(app, 500, logger);
  });

  test("stamps metadata, then throws: 500 and the stamped value is not written", async () => {
    const { app, logger } = build(({ value }) => {
      value.metadata.owner = "alice";
      throw new Error(SECRET_DETAIL);
    });
    await expectFault(app, 500, logger);
  });

  test("returns a thenable whose then() throws: 500", async () => {
    const { app, logger } = build(() => ({ then: thrower(new Error(SECRET_DETAIL)) }));
    await expectFault(app, 500, logger);
  });

  test("hangs: 503 after timeoutMs; when it finally allows, the route does not run", async () => {
    const late = deferred<unknown>();
    const { app, logger } = build(() => late.promise);
    await expectFault(app, 503, logger);
    late.resolve(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual([]);
  });

  test("auth.authorize() with a hanging handler rejects with a 503 HTTPException after timeoutMs", async () => {
    const auth = new Auth({ logger: memoryLogger(), timeoutMs: TIMEOUT_MS })
      .authenticate(() => "alice")
      .on("threads:read", () => new Promise(() => {}));
    await expect(
      auth.authorize(
        {
          user: { identity: "alice", permissions: [], is_authenticated: true, display_name: "alice" },
          permissions: [],
        },
        "threads:read",
        { thread_id: "t" },
      ),
    ).rejects.toMatchObject({ name: "HTTPException", status: 503 });
  });

  test("the control: a handler rejecting with an HTTPException keeps its status; an allowing one reaches the route", async () => {
    expect(
      (
        await request(build(() => Promise.reject(new HTTPException(404))).app)
          .post("/threads")
          .send({})
      ).status,
    ).toBe(404);
    expect(
      (
        await request(build(() => Promise.resolve(true)).app)
          .post("/threads")
          .send({})
      ).status,
    ).toBe(200);
    expect(written).toHaveLength(1);
  });
});
