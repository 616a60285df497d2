import express from "express";
import request from "supertest";
import { Auth, HTTPException } from "../src/index";
import { appWith, jwtStrategy, memoryLogger, token } from "./support/jwt-app";

const alice = `Bearer ${token("alice", ["threads:write"])}`;

function echo(req: express.Request, res: express.Response) {
  res.json({ body: req.body ?? null, filters: req.auth?.filters ?? null });
}

describe("metadata mutation reaches what the route stores", () => {
  const auth = new Auth()
    .authenticate(jwtStrategy())
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity };
    })
    .on("threads:update", ({ user, value }) => {
      value.metadata = { owner: user.identity };
      return { owner: user.identity };
    })
    .on("threads:create_run", ({ value }) => {
      value.metadata = { stamped: true };
    });
  const app = appWith(auth, (a) => {
    a.post("/threads", auth.guard("threads:create"), echo);
    a.patch("/threads/:thread_id", auth.guard("threads:update"), echo);
    a.post("/threads/:thread_id/runs", auth.guard("threads:create_run"), echo);
  });

  test("create: the stored metadata is the handler's (a spoofed owner is overwritten)", async () => {
    const res = await request(app)
      .post("/threads")
      .set("Authorization", alice)
      .send({ thread_id: "t1", metadata: { owner: "bob", topic: "tax" } });
    expect(res.body.body).toEqual({ thread_id: "t1", metadata: { owner: "alice", topic: "tax" } });
  });

  test("create without metadata or without a body still gets the stamp", async () => {
    expect((await request(app).post("/threads").set("Authorization", alice).send({})).body.body.metadata).toEqual({
      owner: "alice",
    });
    expect((await request(app).post("/threads").set("Authorization", alice)).body.body).toEqual({
      metadata: { owner: "alice" },
    });
  });

  test("update: the patch is exactly the handler's metadata (fields it dropped stay dropped)", async () => {
    const res = await request(app)
      .patch("/threads/t1")
      .set("Authorization", alice)
      .send({ metadata: { topic: "law", owner: "mallory" } });
    expect(res.body.body).toEqual({ metadata: { owner: "alice" } });
    expect(res.body.filters).toEqual({ owner: "alice" });
  });

  test("create_run: the value carries the thread id from the route, the body the stamped metadata", async () => {
    const res = await request(app)
      .post("/threads/t9/runs")
      .set("Authorization", alice)
      .send({ assistant_id: "echo", input: {} });
    expect(res.body.body).toEqual({ assistant_id: "echo", input: {}, metadata: { stamped: true } });
  });

  test("metadata that is not an object is a 400 that says so", async () => {
    const res = await request(app).post("/threads").set("Authorization", alice).send({ metadata: "owner=alice" });
    expect([res.status, res.body.message]).toEqual([400, '"metadata" must be a JSON object']);
  });
});

describe("default values per action", () => {
  const seen: Record<string, unknown> = {};
  const auth = new Auth().authenticate(jwtStrategy()).on("*", ({ event, value }) => {
    seen[event] = structuredClone(value);
  });
  const app = appWith(auth, (a) => {
    a.get("/threads/:thread_id", auth.guard("threads:read"), echo);
    a.delete("/threads/:thread_id", auth.guard("threads:delete"), echo);
    a.post("/threads/search", auth.guard("threads:search"), echo);
    a.get("/store/items", auth.guard("store:get"), echo);
    a.put("/store/items", auth.guard("store:put"), echo);
  });

  test("read/delete: the route params (params win over the body)", async () => {
    await request(app).get("/threads/t1").set("Authorization", alice);
    await request(app).delete("/threads/t2").set("Authorization", alice).send({ thread_id: "t3" });
    expect(seen["threads:read"]).toEqual({ thread_id: "t1" });
    expect(seen["threads:delete"]).toEqual({ thread_id: "t2" });
  });

  test("search: the body", async () => {
    await request(app)
      .post("/threads/search")
      .set("Authorization", alice)
      .send({ metadata: { topic: "x" }, limit: 5, offset: 10 });
    expect(seen["threads:search"]).toEqual({ metadata: { topic: "x" }, limit: 5, offset: 10 });
  });

  test("store get: the query, with a dotted namespace split as LangGraph's SDK sends it", async () => {
    await request(app).get("/store/items?namespace=alice.notes&key=n1").set("Authorization", alice);
    expect(seen["store:get"]).toEqual({ namespace: ["alice", "notes"], key: "n1" });
  });

  test("store put: the body", async () => {
    await request(app)
      .put("/store/items")
      .set("Authorization", alice)
      .send({ namespace: ["alice"], key: "k", value: { a: 1 } });
    expect(seen["store:put"]).toEqual({ namespace: ["alice"], key: "k", value: { a: 1 } });
  });
});

describe("decisions on routes", () => {
  const logger = memoryLogger();
  const auth = new Auth({ logger })
    .authenticate(jwtStrategy())
    .on("threads:read", ({ user }) => Promise.resolve({ owner: user.identity }))
    .on("threads:delete", ({ permissions }) => permissions.includes("threads:delete"))
    .on("threads:search", () => {
      throw new HTTPException(429, { message: "Too many searches", headers: { "Retry-After": "1" } });
    })
    .on("assistants:read", () => ({ owner: { $regex: ".*" } }) as never);
  const app = appWith(auth, (a) => {
    a.get("/threads/:thread_id", auth.guard("threads:read"), echo);
    a.delete("/threads/:thread_id", auth.guard("threads:delete"), echo);
    a.post("/threads/search", auth.guard("threads:search"), echo);
    a.get("/assistants/:assistant_id", auth.guard("assistants:read"), echo);
    a.post("/crons/search", auth.guard("crons:search"), echo);
    a.get(
      "/custom/:id",
      auth.guard("threads:read", { value: (req) => ({ thread_id: `custom-${String(req.params.id)}` }) }),
      echo,
    );
  });

  test("an async filter is exposed as req.auth.filters", async () => {
    expect((await request(app).get("/threads/t1").set("Authorization", alice)).body.filters).toEqual({
      owner: "alice",
    });
  });

  test("false is 403 forbidden; the route never runs", async () => {
    const res = await request(app).delete("/threads/t1").set("Authorization", alice);
    expect([res.status, res.body.error]).toEqual([403, "forbidden"]);
    const admin = await request(app)
      .delete("/threads/t1")
      .set("Authorization", `Bearer ${token("root", ["threads:delete"])}`);
    expect(admin.status).toBe(200);
  });

  test("a thrown HTTPException is answered as is", async () => {
    const res = await request(app).post("/threads/search").set("Authorization", alice).send({});
    expect([res.status, res.body.message, res.headers["retry-after"]]).toEqual([429, "Too many searches", "1"]);
  });

  test("an unknown filter operator fails closed with 500", async () => {
    const res = await request(app).get("/assistants/a1").set("Authorization", alice);
    expect([res.status, res.body.error]).toEqual([500, "internal_error"]);
    expect(logger.messages.join("\n")).toMatch(/invalid filter: Unknown filter operator "\$regex"/);
  });

  test("no handler and the default unhandled: deny → 403", async () => {
    expect((await request(app).post("/crons/search").set("Authorization", alice).send({})).status).toBe(403);
  });

  test("a custom value function feeds the handler", async () => {
    const seen: unknown[] = [];
    const a2 = new Auth().authenticate(jwtStrategy()).on("threads:read", ({ value }) => void seen.push(value));
    const app2 = appWith(a2, (a) =>
      a.get(
        "/custom/:id",
        a2.guard("threads:read", { value: (req) => ({ thread_id: `custom-${String(req.params.id)}` }) }),
        echo,
      ),
    );
    await request(app2).get("/custom/7").set("Authorization", alice);
    expect(seen).toEqual([{ thread_id: "custom-7" }]);
  });

  test("a guard without authentication in front is a 500 naming the mistake", async () => {
    const log = memoryLogger();
    const a3 = new Auth({ logger: log, unhandled: "allow" });
    const bare = express();
    bare.get("/threads/:thread_id", a3.guard("threads:read"), echo);
    const res = await request(bare).get("/threads/t1");
    expect(res.status).toBe(500);
    expect(log.messages[0]).toMatch(
      /auth.guard\("threads:read"\) ran on GET \/threads\/t1 without an authenticated user: mount auth.middleware\(\) before it/,
    );
  });

  test("guard() validates its arguments when it is created", () => {
    const a4 = new Auth();
    expect(() => a4.guard("threads" as never)).toThrow(/concrete event/);
    expect(() => a4.guard("threads:nope" as never)).toThrow(/Unknown action "nope"/);
    expect(() => a4.guard("threads:read", { value: "thread_id" as never })).toThrow(/value must be a function/);
  });
});
