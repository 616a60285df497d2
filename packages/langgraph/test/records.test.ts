/**
 * Threads and assistants through the gateway: stamping, scoped searches,
 * by-id reads and writes that never reach another user's records.
 */
import request from "supertest";
import { alice, bob, ownerAuth, useStubGateway } from "./fixture";

// Real servers on a busy shared machine: generous, never a speed assertion.
jest.setTimeout(120_000);

const gw = useStubGateway();

const upstreamCalls = (method: string, path: string) =>
  gw.stub.received.filter((r) => r.method === method && r.path.startsWith(path));

async function aliceThread(metadata: Record<string, unknown> = {}): Promise<string> {
  const res = await request(gw.app).post("/threads").set(alice).send({ metadata }).expect(200);
  return res.body.thread_id;
}

describe("create", () => {
  test("the handler's stamped metadata is what the upstream stores; the caller cannot choose the owner", async () => {
    const res = await request(gw.app)
      .post("/threads")
      .set(alice)
      .send({ metadata: { owner: "bob", topic: "tax" } })
      .expect(200);
    expect(res.body.metadata).toEqual({ owner: "alice", topic: "tax" });
    expect(gw.stub.threads.get(res.body.thread_id).metadata).toEqual({ owner: "alice", topic: "tax" });
  });

  test("a caller-chosen id that exists outside the caller's scope is 409, and nothing is sent to create it", async () => {
    const id = await aliceThread();
    const before = gw.stub.received.length;
    await request(gw.app).post("/threads").set(bob).send({ thread_id: id, if_exists: "do_nothing" }).expect(409);
    expect(gw.stub.received.slice(before).filter((r) => r.method === "POST")).toHaveLength(0);
  });

  test("assistants are stamped the same way", async () => {
    const res = await request(gw.app)
      .post("/assistants")
      .set(bob)
      .send({ graph_id: "agent", metadata: {} })
      .expect(200);
    expect(gw.stub.assistants.get(res.body.assistant_id).metadata).toEqual({ owner: "bob" });
  });
});

describe("by-id read", () => {
  test("another user's thread is the same 404 as a missing one, with no extra upstream request", async () => {
    const id = await aliceThread();
    const before = gw.stub.received.length;
    const foreign = await request(gw.app).get(`/threads/${id}`).set(bob).expect(404);
    expect(gw.stub.received.length - before).toBe(1);
    const missing = await request(gw.app).get("/threads/00000000-0000-0000-0000-000000000000").set(bob).expect(404);
    expect(foreign.body).toEqual(missing.body);
    expect(JSON.stringify(foreign.body)).not.toContain(id);
    await request(gw.app).get(`/threads/${id}`).set(alice).expect(200);
  });
});

describe("search and count", () => {
  test("the filter is AND-ed with the caller's metadata in the upstream query", async () => {
    await aliceThread({ topic: "tax" });
    await aliceThread({ topic: "art" });
    await request(gw.app)
      .post("/threads")
      .set(bob)
      .send({ metadata: { topic: "tax" } })
      .expect(200);
    const res = await request(gw.app)
      .post("/threads/search")
      .set(alice)
      .send({ metadata: { topic: "tax" } })
      .expect(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0].metadata).toEqual({ topic: "tax", owner: "alice" });
    expect(upstreamCalls("POST", "/threads/search").at(-1)!.body.metadata).toEqual({ topic: "tax", owner: "alice" });
    const count = await request(gw.app).post("/threads/count").set(alice).send({}).expect(200);
    expect(count.body).toBe(2);
  });

  test("a contradiction (caller asks owner: alice as bob) answers empty without asking upstream", async () => {
    await aliceThread();
    const before = gw.stub.received.length;
    const res = await request(gw.app)
      .post("/threads/search")
      .set(bob)
      .send({ metadata: { owner: "alice" } })
      .expect(200);
    expect(res.body).toEqual([]);
    const count = await request(gw.app)
      .post("/assistants/count")
      .set(bob)
      .send({ metadata: { owner: "alice" } })
      .expect(200);
    expect(count.body).toBe(0);
    expect(gw.stub.received.length).toBe(before);
  });

  test("a select without metadata still lets the gateway check, and the caller gets what it selected", async () => {
    const id = await aliceThread();
    const res = await request(gw.app)
      .post("/threads/search")
      .set(alice)
      .send({ select: ["thread_id"] })
      .expect(200);
    expect(res.body).toEqual([{ thread_id: id }]);
  });

  test("an upstream that ignores the metadata filter is refused (502), not passed on", async () => {
    await aliceThread();
    gw.stub.mode = "ignore-filter";
    const res = await request(gw.app).post("/threads/search").set(bob).send({}).expect(502);
    expect(res.body.error).toBe("bad_gateway");
  });
});

describe("by-id writes read the record first", () => {
  test("PATCH, DELETE, state, history, copy and runs on another user's thread are 404 and never forwarded", async () => {
    const id = await aliceThread();
    const calls: [string, string][] = [
      ["patch", `/threads/${id}`],
      ["delete", `/threads/${id}`],
      ["get", `/threads/${id}/state`],
      ["get", `/threads/${id}/history`],
      ["post", `/threads/${id}/copy`],
      ["get", `/threads/${id}/runs`],
      ["post", `/threads/${id}/runs/11111111-1111-1111-1111-111111111111/cancel`],
    ];
    for (const [method, path] of calls) {
      const before = gw.stub.received.length;
      await (request(gw.app) as any)
        [method](path)
        .set(bob)
        .send(method === "get" || method === "delete" ? undefined : {})
        .expect(404);
      const forwarded = gw.stub.received
        .slice(before)
        .filter((r) => !(r.method === "GET" && r.path === `/threads/${id}`));
      expect({ path, forwarded }).toEqual({ path, forwarded: [] });
    }
    expect(gw.stub.threads.get(id).metadata).toEqual({ owner: "alice" });
  });

  test("a PATCH cannot change a stamped owner", async () => {
    const id = await aliceThread();
    const res = await request(gw.app)
      .patch(`/threads/${id}`)
      .set(alice)
      .send({ metadata: { owner: "bob", topic: "x" } })
      .expect(200);
    expect(res.body.metadata).toEqual({ owner: "alice", topic: "x" });
  });

  test("without stamping, a PATCH that would move the record out of the caller's scope is 403", async () => {
    await gw.remount({ auth: ownerAuth({ stamp: false }) });
    gw.stub.threads.set("t1", { thread_id: "t1", metadata: { owner: "alice" } });
    await request(gw.app)
      .patch("/threads/t1")
      .set(alice)
      .send({ metadata: { owner: "bob" } })
      .expect(403);
    expect(gw.stub.threads.get("t1").metadata).toEqual({ owner: "alice" });
  });

  test("the owner's own by-id routes are forwarded, upstream errors pass through", async () => {
    const id = await aliceThread();
    await request(gw.app).get(`/threads/${id}/state`).set(alice).expect(200);
    const bad = await request(gw.app).post(`/threads/${id}/state`).set(alice).send({}).expect(422);
    expect(bad.body).toEqual({ detail: "values: Required" });
    await request(gw.app).delete(`/threads/${id}`).set(alice).expect(204);
    expect(gw.stub.threads.has(id)).toBe(false);
  });

  test("copy checks the source and the copy keeps the owner", async () => {
    const id = await aliceThread({ topic: "t" });
    const res = await request(gw.app).post(`/threads/${id}/copy`).set(alice).expect(200);
    expect(res.body.thread_id).not.toBe(id);
    expect(gw.stub.threads.get(res.body.thread_id).metadata).toEqual({ owner: "alice", topic: "t" });
  });

  test("deleting an assistant with delete_threads is refused to a caller scoped on threads (it would delete other users' threads)", async () => {
    const { body } = await request(gw.app).post("/assistants").set(alice).send({ graph_id: "agent" }).expect(200);
    await request(gw.app)
      .delete(`/assistants/${body.assistant_id}`)
      .query({ delete_threads: "true" })
      .set(alice)
      .expect(403);
    expect(gw.stub.assistants.has(body.assistant_id)).toBe(true);
    await request(gw.app).delete(`/assistants/${body.assistant_id}`).set(alice).expect(204);
  });

  test("assistant versions outside the filter are left out", async () => {
    const { body } = await request(gw.app).post("/assistants").set(alice).send({ graph_id: "agent" }).expect(200);
    const res = await request(gw.app).post(`/assistants/${body.assistant_id}/versions`).set(alice).send({}).expect(200);
    expect(res.body.map((v: any) => v.version)).toEqual([2]);
    await request(gw.app).post(`/assistants/${body.assistant_id}/versions`).set(bob).send({}).expect(404);
  });
});
