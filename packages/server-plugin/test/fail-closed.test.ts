/**
 * Failing closed where the developer using Gatehouse slips (semantics §4,
 * "Gatehouse's own rules"): each describe is one class of slip, tested across
 * every helper, action or route shape it can take.
 */
import express from "express";
import request from "supertest";
import { ALLOW_ALL, Auth, filtersToSql, matchFilters } from "../src/index";
import { appWith, jwtStrategy, memoryLogger, token } from "./support/jwt-app";

const alice = `Bearer ${token("alice", ["threads:write"])}`;

function echo(req: express.Request, res: express.Response) {
  res.json({ body: req.body ?? null, query: req.query, filters: req.auth?.filters ?? "undefined" });
}

describe("no guard ran is not 'allowed without a filter'", () => {
  const helpers: [string, (filters: undefined | null) => unknown][] = [
    ["matchFilters", (f) => matchFilters(f, { owner: "alice" })],
    ["filtersToSql", (f) => filtersToSql(f)],
  ];

  test.each(helpers)("%s refuses undefined and null filters with a message naming the missing guard", (name, call) => {
    for (const filters of [undefined, null]) {
      expect(() => call(filters)).toThrow(TypeError);
      expect(() => call(filters)).toThrow(new RegExp(`${name}\\(\\) got ${String(filters)} filters.*auth\\.guard\\(`));
    }
  });

  test("every allowed, unscoped outcome gives the explicit match-all filter {}", async () => {
    const results = [undefined, null, true];
    for (const result of results) {
      const auth = new Auth().on("threads:read", () => result as undefined);
      const decision = await auth.authorize(
        { user: { identity: "a", permissions: [], is_authenticated: true, display_name: "a" }, permissions: [] },
        "threads:read",
        { thread_id: "t" },
      );
      expect(decision.filters).toBe(ALLOW_ALL);
    }
    const lax = new Auth({ unhandled: "allow" });
    const decision = await lax.authorize(
      { user: { identity: "a", permissions: [], is_authenticated: true, display_name: "a" }, permissions: [] },
      "threads:read",
      { thread_id: "t" },
    );
    expect(decision.filters).toEqual({});
    expect(matchFilters(decision.filters, undefined)).toBe(true);
    expect(filtersToSql(decision.filters)).toEqual({ text: "TRUE", values: [] });
    expect(Object.isFrozen(ALLOW_ALL)).toBe(true);
  });

  test("through Express: a guarded unscoped route sees {}, an unguarded one sees undefined and the helper fails the request", async () => {
    const rows = [
      { id: 1, metadata: { owner: "alice" } },
      { id: 2, metadata: { owner: "bob" } },
    ];
    const auth = new Auth().authenticate(jwtStrategy()).on("threads:search", () => true);
    const app = appWith(auth, (a) => {
      a.post(
        "/threads/search",
        auth.guard("threads:search"),
        (req, res) => void res.json(rows.filter((r) => matchFilters(req.auth!.filters, r.metadata))),
      );
      a.get(
        "/forgot-the-guard",
        (req, res) => void res.json(rows.filter((r) => matchFilters(req.auth!.filters, r.metadata))),
      );
      a.use(
        (_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
          void res.status(500).json({ error: "internal" }),
      );
    });
    const guarded = await request(app).post("/threads/search").set("Authorization", alice).send({});
    expect(guarded.status).toBe(200);
    expect(guarded.body).toHaveLength(2);
    const unguarded = await request(app).get("/forgot-the-guard").set("Authorization", alice);
    expect(unguarded.status).toBe(500);
    expect(JSON.stringify(unguarded.body)).not.toContain("bob");
  });
});

describe("what the route receives is exactly what the handler decided", () => {
  const dropOwner = ({ value }: { value: { metadata?: Record<string, unknown> } }) => {
    const { owner: _dropped, role: _role, ...rest } = value.metadata ?? {};
    value.metadata = { ...rest, stamped: "yes" };
  };
  const auth = new Auth()
    .authenticate(jwtStrategy())
    .on(
      [
        "threads:create",
        "threads:update",
        "threads:create_run",
        "assistants:create",
        "assistants:update",
        "crons:create",
        "crons:update",
      ],
      dropOwner,
    )
    .on("threads:delete", ({ value }) => {
      delete (value as { metadata?: unknown }).metadata;
    })
    .on("store:put", ({ user, value }) => {
      value.namespace = [user.identity, ...value.namespace.slice(1)];
    })
    .on("store:get", ({ user, value }) => {
      value.namespace.splice(0, 1, user.identity); // narrowed in place
    });
  const app = appWith(auth, (a) => {
    a.post("/threads", auth.guard("threads:create"), echo);
    a.patch("/threads/:thread_id", auth.guard("threads:update"), echo);
    a.delete("/threads/:thread_id", auth.guard("threads:delete"), echo);
    a.post("/threads/:thread_id/runs", auth.guard("threads:create_run"), echo);
    a.post("/assistants", auth.guard("assistants:create"), echo);
    a.patch("/assistants/:assistant_id", auth.guard("assistants:update"), echo);
    a.post("/runs/crons", auth.guard("crons:create"), echo);
    a.patch("/runs/crons/:cron_id", auth.guard("crons:update"), echo);
    a.put("/store/items", auth.guard("store:put"), echo);
    a.get("/store/items", auth.guard("store:get"), echo);
  });
  const writes: [string, string][] = [
    ["post", "/threads"],
    ["patch", "/threads/t1"],
    ["post", "/threads/t1/runs"],
    ["post", "/assistants"],
    ["patch", "/assistants/a1"],
    ["post", "/runs/crons"],
    ["patch", "/runs/crons/c1"],
  ];

  test.each(writes)("%s %s: fields the handler removed do not come back from the request", async (method, path) => {
    const res = await (request(app) as any)
      [method](path)
      .set("Authorization", alice)
      .send({ metadata: { owner: "mallory", role: "admin", topic: "tax" } });
    expect(res.status).toBe(200);
    expect(res.body.body.metadata).toEqual({ topic: "tax", stamped: "yes" });
  });

  test("a handler that deletes value.metadata leaves the route no metadata at all", async () => {
    const res = await request(app)
      .delete("/threads/t1")
      .set("Authorization", alice)
      .send({ metadata: { owner: "mallory" } });
    expect(res.body.body).toEqual({});
  });

  test("a store namespace the handler replaced reaches the body; one narrowed in place reaches the query", async () => {
    const put = await request(app)
      .put("/store/items")
      .set("Authorization", alice)
      .send({ namespace: ["bob", "notes"], key: "k", value: {} });
    expect(put.body.body.namespace).toEqual(["alice", "notes"]);
    const get = await request(app)
      .get("/store/items")
      .query({ namespace: "bob.notes", key: "k" })
      .set("Authorization", alice);
    expect(get.body.query).toEqual({ namespace: "alice.notes", key: "k" });
  });
});

describe("a JSON body nobody parsed is an error, not an empty value", () => {
  const logger = memoryLogger();
  const auth = new Auth({ logger }).authenticate(jwtStrategy()).on("*", () => true);
  const app = express();
  app.use(auth.middleware()); // no express.json()
  app.post("/threads", auth.guard("threads:create"), echo);
  app.put("/store/items", auth.guard("store:put"), echo);

  test.each(["application/json", "application/merge-patch+json", "application/json; charset=utf-8"])(
    "%s without a parser: 500, the route does not run, the log says to mount express.json()",
    async (type) => {
      for (const [method, path] of [
        ["post", "/threads"],
        ["put", "/store/items"],
      ] as const) {
        const res = await request(app)
          [method](path)
          .set("Authorization", alice)
          .set("Content-Type", type)
          .send(JSON.stringify({ metadata: { topic: "x" } }));
        expect(res.status).toBe(500);
        expect(res.body.body).toBeUndefined();
        expect(JSON.stringify(res.body)).not.toContain("express.json");
      }
      expect(logger.messages.some((m) => m.includes("mount express.json() before the guard"))).toBe(true);
    },
  );

  test("a request without a body still gets its default value", async () => {
    const res = await request(app).post("/threads").set("Authorization", alice);
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual({ metadata: {} });
  });
});

describe("preflight-shaped requests never reach routes unauthenticated", () => {
  const logger = memoryLogger();
  const auth = new Auth({ logger }).authenticate(jwtStrategy()).on("*", () => true);
  const reached: string[] = [];
  const app = appWith(auth, (a) => {
    a.all("/anything", (req, res) => void (reached.push(req.method), res.json({ leaked: true })));
    a.options("/threads", (_req, res) => void (reached.push("options"), res.json({ leaked: true })));
    a.use((req, res) => void (reached.push(`catch-all ${req.method}`), res.json({ leaked: true })));
  });

  test.each(["/anything", "/threads", "/no-such-route"])(
    "OPTIONS %s with Access-Control-Request-Method: 204, no CORS grant, route not run",
    async (path) => {
      const res = await request(app)
        .options(path)
        .set("Origin", "https://evil.example")
        .set("Access-Control-Request-Method", "DELETE");
      expect(res.status).toBe(204);
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
      expect(res.text).toBe("");
      expect(reached).toEqual([]);
      expect(logger.messages.some((m) => m.includes("mount your CORS middleware"))).toBe(true);
    },
  );

  test("CORS handling mounted before the middleware still answers preflights itself", async () => {
    const cors = new Auth().authenticate(jwtStrategy());
    const corsApp = express();
    corsApp.use((req, res, next) => {
      if (req.method === "OPTIONS")
        return void res.set("Access-Control-Allow-Origin", "https://app.example").status(204).end();
      next();
    });
    corsApp.use(cors.middleware());
    const res = await request(corsApp)
      .options("/threads")
      .set("Origin", "https://app.example")
      .set("Access-Control-Request-Method", "POST");
    expect([res.status, res.headers["access-control-allow-origin"]]).toEqual([204, "https://app.example"]);
  });

  test("a public path's preflight is passed on like any public request", async () => {
    const res = await request(app).options("/health").set("Access-Control-Request-Method", "GET");
    expect(res.status).not.toBe(401);
  });
});
