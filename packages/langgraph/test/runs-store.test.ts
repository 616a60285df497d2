/**
 * Runs (identity in the run config, parent thread checked, SSE passed through,
 * upstream aborted when the client leaves) and the store (namespace is the value).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { alice, bob, useStubGateway } from "./fixture";
import { FLOOD_BYTES } from "./stub-upstream";

// Real servers on a busy shared machine: generous, never a speed assertion.
jest.setTimeout(120_000);

const gw = useStubGateway();

async function aliceThread(): Promise<string> {
  return (await request(gw.app).post("/threads").set(alice).send({}).expect(200)).body.thread_id;
}

/**
 * POSTs /runs/stream as alice over a real socket (supertest would buffer the
 * whole answer), hands the request and its response to `use`, then closes the
 * gateway's listener and every connection. `input` tells the stub what to stream.
 */
async function withStream(
  input: { hold: true } | { flood: true },
  use: (req: http.ClientRequest, res: http.IncomingMessage) => Promise<void>,
): Promise<void> {
  const server = gw.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    let req!: http.ClientRequest;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/runs/stream",
          headers: { ...alice, "content-type": "application/json" },
        },
        resolve,
      );
      // Once the test destroys the request on purpose, its "socket hang up" is expected.
      req.on("error", (err) => (err.message === "socket hang up" ? undefined : reject(err)));
      req.end(JSON.stringify({ assistant_id: "agent", input }));
    });
    await use(req, res);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("runs", () => {
  test("the caller's identity reaches the run config under LangGraph's names, replacing what the caller sent", async () => {
    const id = await aliceThread();
    const spoof = { config: { configurable: { langgraph_auth_user_id: "root", model: "m" } } };
    await request(gw.app)
      .post(`/threads/${id}/runs`)
      .set(alice)
      .send({ assistant_id: "agent", ...spoof })
      .expect(200);
    const configurable = gw.stub.runs.at(-1).config.configurable;
    expect(configurable.langgraph_auth_user_id).toBe("alice");
    expect(configurable.model).toBe("m");
    expect(configurable.langgraph_auth_user).toEqual({
      identity: "alice",
      display_name: "ALICE",
      permissions: ["threads:write"],
      is_authenticated: true,
    });
    expect(configurable.langgraph_auth_permissions).toEqual(["threads:write"]);
    expect(gw.stub.runs.at(-1).metadata).toEqual({ owner: "alice" });
  });

  test("a run on another user's thread is 404 and no run is created", async () => {
    const id = await aliceThread();
    for (const path of [`/threads/${id}/runs`, `/threads/${id}/runs/stream`, `/threads/${id}/runs/wait`]) {
      await request(gw.app).post(path).set(bob).send({ assistant_id: "agent" }).expect(404);
    }
    expect(gw.stub.runs).toHaveLength(0);
  });

  test("a run on a missing thread is 404 unless if_not_exists is create; the created thread is stamped", async () => {
    const id = "22222222-2222-2222-2222-222222222222";
    await request(gw.app).post(`/threads/${id}/runs`).set(alice).send({ assistant_id: "agent" }).expect(404);
    await request(gw.app)
      .post(`/threads/${id}/runs`)
      .set(alice)
      .send({ assistant_id: "agent", if_not_exists: "create" })
      .expect(200);
    expect(gw.stub.threads.get(id).metadata).toEqual({ owner: "alice" });
    await request(gw.app).get(`/threads/${id}`).set(bob).expect(404);
  });

  test("stateless and batch runs carry the identity; Content-Location moves under the mount path", async () => {
    await gw.remount({}, "/agents");
    const wait = await request(gw.app).post("/agents/runs/wait").set(bob).send({ assistant_id: "agent" }).expect(200);
    expect(wait.body.config.configurable.langgraph_auth_user_id).toBe("bob");
    await request(gw.app)
      .post("/agents/runs/batch")
      .set(bob)
      .send([{ assistant_id: "agent" }, { assistant_id: "agent" }])
      .expect(200);
    expect(gw.stub.runs.slice(-2).map((r) => r.config.configurable.langgraph_auth_user_id)).toEqual(["bob", "bob"]);
    const id = (await request(gw.app).post("/agents/threads").set(alice).send({}).expect(200)).body.thread_id;
    const run = await request(gw.app)
      .post(`/agents/threads/${id}/runs`)
      .set(alice)
      .send({ assistant_id: "agent" })
      .expect(200);
    expect(run.headers["content-location"]).toBe(`/agents/threads/${id}/runs/${run.body.run_id}`);
  });

  test("an SSE stream passes through with its events in order", async () => {
    const id = await aliceThread();
    const res = await request(gw.app)
      .post(`/threads/${id}/runs/stream`)
      .set(alice)
      .send({ assistant_id: "agent" })
      .buffer(true)
      .parse((r, cb) => {
        let text = "";
        r.on("data", (c: Buffer) => (text += c.toString()));
        r.on("end", () => cb(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = [...(res.body as string).matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(events.slice(1)).toEqual(['values {"step":1}', 'values {"step":2}', 'values {"step":3}']);
  });

  test("a client that disconnects mid-stream aborts the upstream request", async () => {
    await withStream({ hold: true }, async (req, res) => {
      const first = await new Promise<string>((resolve) =>
        res.once("data", (chunk: Buffer) => resolve(chunk.toString())),
      );
      req.destroy();
      expect(first).toContain("event: metadata");
      await gw.stub.streamClosed; // resolves only when the upstream saw its client (the gateway) go away
    });
  });
});

test("back-pressure: a caller that stops reading stops the upstream writer (the gateway does not buffer the stream)", async () => {
  await withStream({ flood: true }, async (_req, res) => {
    res.pause(); // the caller stops reading
    // Wait (no time limit asserted) until the upstream either blocks on write() or has written everything.
    while (!gw.stub.flood.blocked && !gw.stub.flood.finished) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    expect(gw.stub.flood.finished).toBe(false);
    expect(gw.stub.flood.sent).toBeLessThan(FLOOD_BYTES / 2);
    res.destroy();
  });
});

test("cron search answers only the crons inside the caller's filter, even when the upstream returns others", async () => {
  gw.stub.crons = [
    { cron_id: "c1", metadata: { owner: "alice" } },
    { cron_id: "c2", metadata: { owner: "bob" } },
    { cron_id: "c3" },
  ];
  const res = await request(gw.app).post("/runs/crons/search").set(alice).send({ limit: 10 }).expect(200);
  expect(res.body).toEqual([{ cron_id: "c1", metadata: { owner: "alice" } }]);
  gw.stub.crons = { not: "a list" } as never;
  await request(gw.app).post("/runs/crons/search").set(alice).send({}).expect(502);
});

describe("store", () => {
  test("writes into another user's namespace are 403 and reach nothing; reads are 404", async () => {
    await request(gw.app)
      .put("/store/items")
      .set(alice)
      .send({ namespace: ["alice", "notes"], key: "n1", value: { text: "hi" } })
      .expect(204);
    const before = gw.stub.received.length;
    await request(gw.app)
      .put("/store/items")
      .set(bob)
      .send({ namespace: ["alice", "notes"], key: "n1", value: { text: "mine" } })
      .expect(403);
    await request(gw.app)
      .delete("/store/items")
      .set(bob)
      .send({ namespace: ["alice", "notes"], key: "n1" })
      .expect(403);
    await request(gw.app).get("/store/items").query({ namespace: "alice.notes", key: "n1" }).set(bob).expect(404);
    expect(gw.stub.received.length).toBe(before);
    const own = await request(gw.app)
      .get("/store/items")
      .query({ namespace: "alice.notes", key: "n1" })
      .set(alice)
      .expect(200);
    expect(own.body.value).toEqual({ text: "hi" });
    await request(gw.app)
      .get("/store/items")
      .query({ namespace: "alice.notes", key: "missing" })
      .set(alice)
      .expect(404);
  });

  test("search and namespaces without a prefix are narrowed to the caller's namespace by the handler", async () => {
    await request(gw.app)
      .put("/store/items")
      .set(alice)
      .send({ namespace: ["alice", "a"], key: "k", value: { v: 1 } })
      .expect(204);
    await request(gw.app)
      .put("/store/items")
      .set(bob)
      .send({ namespace: ["bob", "b"], key: "k", value: { v: 2 } })
      .expect(204);
    const search = await request(gw.app).post("/store/items/search").set(bob).send({}).expect(200);
    expect(search.body.items.map((i: any) => i.namespace)).toEqual([["bob", "b"]]);
    const namespaces = await request(gw.app).post("/store/namespaces").set(alice).send({}).expect(200);
    expect(namespaces.body.namespaces).toEqual([["alice", "a"]]);
  });

  test("a store filter is matched on value, namespace and key, before paging", async () => {
    const { Auth } = await import("@gatehouse/express");
    const auth = new Auth({ unhandled: "deny" })
      .authenticate((req) => (req.headers.authorization ?? "").replace("Bearer ", ""))
      .on("store", ({ user }) => ({ team: user.identity }));
    await gw.remount({ auth });
    for (let i = 0; i < 5; i++)
      gw.stub.store.set(`x|${i}`, { namespace: ["x"], key: String(i), value: { team: i % 2 ? "alice" : "bob" } });
    const page = await request(gw.app).post("/store/items/search").set(alice).send({ limit: 1, offset: 1 }).expect(200);
    expect(page.body.items.map((i: any) => i.key)).toEqual(["3"]);
    await request(gw.app).get("/store/items").query({ namespace: "x", key: "0" }).set(alice).expect(404);
    await request(gw.app)
      .put("/store/items")
      .set(alice)
      .send({ namespace: ["x"], key: "0", value: { team: "alice" } })
      .expect(403);
    await request(gw.app)
      .put("/store/items")
      .set(alice)
      .send({ namespace: ["x"], key: "9", value: { team: "bob" } })
      .expect(403);
    await request(gw.app)
      .put("/store/items")
      .set(alice)
      .send({ namespace: ["x"], key: "9", value: { team: "alice" } })
      .expect(204);
  });
});
