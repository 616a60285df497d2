import express from "express";
import request from "supertest";
import { Auth, HTTPException, type AuthContext, type DecisionRecord } from "../src/index";
import { jwtStrategy, memoryLogger, token } from "./support/jwt-app";

const alice: AuthContext = {
  user: { identity: "alice", permissions: ["threads:read"], is_authenticated: true, display_name: "alice" },
  permissions: ["threads:read"],
};

function recorder() {
  const records: DecisionRecord[] = [];
  return { records, onDecision: (record: DecisionRecord) => void records.push(record) };
}

async function settle(promise: Promise<unknown>): Promise<void> {
  await promise.catch(() => undefined);
}

describe("onDecision: one record per decision, for each outcome", () => {
  const { records, onDecision } = recorder();
  const logger = memoryLogger();
  const auth = new Auth({ onDecision, logger })
    .on("threads:read", () => true)
    .on("threads:search", ({ user }) => ({ owner: user.identity }))
    .on("threads:delete", () => false)
    .on("threads:update", () => {
      throw new HTTPException(404, { message: "Thread not found" });
    })
    .on("threads:create", () => {
      throw new Error("database exploded");
    })
    .on("assistants", () => Promise.resolve({ owner: "alice" }))
    .on("*:create", () => 42 as never);

  beforeEach(() => records.splice(0));

  test("allow: the handler key, no filter, no status", async () => {
    await auth.authorize(alice, "threads:read", { thread_id: "t1" }, { requestId: "req-1" });
    expect(records).toEqual([
      {
        event: "threads:read",
        identity: "alice",
        outcome: "allow",
        allowed: true,
        handler: "threads:read",
        durationMs: expect.any(Number),
        requestId: "req-1",
      },
    ]);
    expect(records[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  test("scoped: the filter is in the record", async () => {
    await auth.authorize(alice, "threads:search", { metadata: {} });
    expect(records).toEqual([
      expect.objectContaining({
        outcome: "scoped",
        allowed: true,
        handler: "threads:search",
        filters: { owner: "alice" },
      }),
    ]);
    expect(records[0]).not.toHaveProperty("requestId");
  });

  test("an async handler: the record comes when it settles, with its key (resource level)", async () => {
    await auth.authorize(alice, "assistants:read", { assistant_id: "a1" });
    expect(records).toEqual([
      expect.objectContaining({
        event: "assistants:read",
        outcome: "scoped",
        handler: "assistants",
        filters: { owner: "alice" },
      }),
    ]);
  });

  test("deny: false is 403; a handler's own 4xx is a denial with its status and message", async () => {
    await settle(auth.authorize(alice, "threads:delete", { thread_id: "t1" }));
    await settle(auth.authorize(alice, "threads:update", { thread_id: "t1", metadata: {} }));
    expect(records).toEqual([
      expect.objectContaining({
        event: "threads:delete",
        outcome: "deny",
        allowed: false,
        handler: "threads:delete",
        status: 403,
      }),
      expect.objectContaining({
        event: "threads:update",
        outcome: "deny",
        allowed: false,
        handler: "threads:update",
        status: 404,
        message: "Thread not found",
      }),
    ]);
  });

  test("error: a throwing handler and an unreadable result are errors (500), with a generic message", async () => {
    await settle(auth.authorize(alice, "threads:create", { metadata: {} }));
    await settle(auth.authorize(alice, "crons:create", { metadata: {} }));
    expect(records).toEqual([
      expect.objectContaining({
        event: "threads:create",
        outcome: "error",
        allowed: false,
        handler: "threads:create",
        status: 500,
        message: "Internal server error",
      }),
      expect.objectContaining({
        event: "crons:create",
        outcome: "error",
        allowed: false,
        handler: "*:create",
        status: 500,
      }),
    ]);
    expect(JSON.stringify(records)).not.toContain("database exploded");
  });

  test("unhandled: allowed or refused as new Auth({ unhandled }) says, with handler null", async () => {
    const open = recorder();
    await new Auth({ unhandled: "allow", onDecision: open.onDecision }).authorize(alice, "store:get", {
      namespace: ["a"],
      key: "k",
    });
    const closed = recorder();
    await settle(
      new Auth({ unhandled: "deny", onDecision: closed.onDecision, logger }).authorize(alice, "store:get", {
        namespace: ["a"],
        key: "k",
      }),
    );
    expect(open.records).toEqual([
      expect.objectContaining({ event: "store:get", outcome: "unhandled", allowed: true, handler: null }),
    ]);
    expect(closed.records).toEqual([
      expect.objectContaining({ event: "store:get", outcome: "unhandled", allowed: false, handler: null, status: 403 }),
    ]);
  });

  test('the global handler is named "*"', async () => {
    const global = recorder();
    await new Auth({ onDecision: global.onDecision })
      .on("*", () => undefined)
      .authorize(alice, "crons:delete", { cron_id: "c" });
    expect(global.records[0]).toMatchObject({ outcome: "allow", handler: "*" });
  });
});

describe("onDecision through the guard", () => {
  const secretBody = "do-not-log-this-body";
  const { records, onDecision } = recorder();
  const auth = new Auth({ onDecision })
    .authenticate(jwtStrategy())
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity };
    })
    .on("threads", ({ user }) => ({ owner: user.identity }));
  const app = express();
  let nextId = 0;
  app.use((req, _res, next) => {
    (req as unknown as { id: string }).id = `rid-${++nextId}`; // what pino-http's genReqId does
    next();
  });
  app.use(express.json());
  app.use(auth.middleware());
  app.post("/threads", auth.guard("threads:create"), (req, res) => void res.json(req.body));
  app.get(
    "/threads/:thread_id",
    auth.guard("threads:read"),
    (req, res) => void res.json({ filters: req.auth!.filters ?? null }),
  );

  test("a record per guarded request with the request id, never the token or the body", async () => {
    const bearer = token("alice", ["threads:write"]);
    const created = await request(app)
      .post("/threads")
      .set("Authorization", `Bearer ${bearer}`)
      .send({ metadata: { note: secretBody } });
    expect(created.status).toBe(200);
    const read = await request(app).get("/threads/t1").set("Authorization", `Bearer ${bearer}`);
    expect(read.body.filters).toEqual({ owner: "alice" });
    expect(records).toEqual([
      expect.objectContaining({
        event: "threads:create",
        identity: "alice",
        outcome: "allow",
        handler: "threads:create",
        requestId: "rid-1",
      }),
      expect.objectContaining({
        event: "threads:read",
        identity: "alice",
        outcome: "scoped",
        handler: "threads",
        filters: { owner: "alice" },
        requestId: "rid-2",
      }),
    ]);
    const text = JSON.stringify(records);
    expect(text).not.toContain(bearer);
    expect(text).not.toContain(bearer.split(".")[2]);
    expect(text).not.toContain(secretBody);
  });

  test("a request refused by authentication makes no decision record; its error body carries the request id", async () => {
    records.splice(0);
    const refused = await request(app).get("/threads/t1");
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      error: "credentials_required",
      message: expect.any(String),
      request_id: `rid-${nextId}`,
    });
    expect(records).toEqual([]);
  });
});

describe("a failing hook never changes the decision", () => {
  test("a throwing hook: the allow stands, the denial stands, and the failure is logged", async () => {
    const logger = memoryLogger();
    const auth = new Auth({
      logger,
      onDecision: () => {
        throw new Error("log sink down");
      },
    })
      .on("threads:read", ({ user }) => ({ owner: user.identity }))
      .on("threads:delete", () => false);
    await expect(auth.authorize(alice, "threads:read", { thread_id: "t" })).resolves.toEqual({
      filters: { owner: "alice" },
    });
    await expect(auth.authorize(alice, "threads:delete", { thread_id: "t" })).rejects.toMatchObject({ status: 403 });
    expect(logger.messages.join("\n")).toMatch(/onDecision hook threw \(the decision stands\): log sink down/);
  });

  test("a rejecting async hook is logged, not an unhandled rejection", async () => {
    const logger = memoryLogger();
    const auth = new Auth({ logger, onDecision: async () => Promise.reject(new Error("queue full")) }).on(
      "threads:read",
      () => true,
    );
    await expect(auth.authorize(alice, "threads:read", { thread_id: "t" })).resolves.toEqual({ filters: {} }); // allowed, unscoped
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.messages.join("\n")).toMatch(/onDecision hook threw \(the decision stands\): queue full/);
  });

  test("onDecision must be a function", () => {
    expect(() => new Auth({ onDecision: "yes" as never })).toThrow(/onDecision.*function/);
  });
});

describe("the request id without a request logger", () => {
  test("a plain X-Request-Id header is the record's requestId and in error bodies; anything else is ignored", async () => {
    const { records, onDecision } = recorder();
    const auth = new Auth({ onDecision }).authenticate(jwtStrategy()).on("threads", () => false);
    const app = express();
    app.use(auth.middleware());
    app.get("/threads/:thread_id", auth.guard("threads:read"), (_req, res) => void res.json({}));
    const bearer = `Bearer ${token("alice")}`;
    const denied = await request(app).get("/threads/t1").set("Authorization", bearer).set("X-Request-Id", "trace-7");
    expect(denied.status).toBe(403);
    expect(denied.body.request_id).toBe("trace-7");
    const odd = await request(app).get("/threads/t1").set("Authorization", bearer).set("X-Request-Id", 'x"<script>');
    expect(odd.body).not.toHaveProperty("request_id");
    const none = await request(app).get("/threads/t1").set("Authorization", bearer);
    expect(none.body).not.toHaveProperty("request_id");
    expect(records.map((r) => r.requestId)).toEqual(["trace-7", undefined, undefined]);
  });
});
