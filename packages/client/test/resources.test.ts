import { createClient, InvalidArgumentError, type Client } from "@gatehouse/client";
import { json, startServer, type Received, type TestServer } from "./helpers/server";

/** Every request is answered with `reply` (default: a JSON echo of what arrived). */
let server: TestServer;
let client: Client;
let reply: ((req: Received) => [number, unknown]) | undefined;

beforeAll(async () => {
  server = await startServer((req, res) => {
    const [status, body] = reply ? reply(req) : [200, { echo: req.method }];
    if (status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    json(res, status, body);
  });
  client = createClient({ baseURL: server.url });
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
  reply = undefined;
});

const sent = () => server.received.map(({ method, url, body }) => ({ method, url, body }));

describe("routes, methods and bodies follow LangGraph's REST API", () => {
  it.each<[string, (c: Client) => Promise<unknown>, { method: string; url: string; body?: unknown }]>([
    [
      "threads.create",
      (c) => c.threads.create({ metadata: { topic: "tax" }, if_exists: "do_nothing" }),
      { method: "POST", url: "/threads", body: { metadata: { topic: "tax" }, if_exists: "do_nothing" } },
    ],
    ["threads.create without a body", (c) => c.threads.create(), { method: "POST", url: "/threads", body: {} }],
    ["threads.get", (c) => c.threads.get("t1"), { method: "GET", url: "/threads/t1" }],
    [
      "threads.update",
      (c) => c.threads.update("t1", { metadata: { done: true } }),
      { method: "PATCH", url: "/threads/t1", body: { metadata: { done: true } } },
    ],
    ["threads.delete", (c) => c.threads.delete("t1"), { method: "DELETE", url: "/threads/t1" }],
    [
      "threads.search",
      (c) => c.threads.search({ metadata: { topic: "tax" }, limit: 10, offset: 5 }),
      { method: "POST", url: "/threads/search", body: { metadata: { topic: "tax" }, limit: 10, offset: 5 } },
    ],
    ["threads.copy", (c) => c.threads.copy("t1"), { method: "POST", url: "/threads/t1/copy" }],
    [
      "runs.create",
      (c) => c.runs.create("t1", { assistant_id: "agent", input: { q: 1 } }),
      { method: "POST", url: "/threads/t1/runs", body: { assistant_id: "agent", input: { q: 1 } } },
    ],
    [
      "runs.wait",
      (c) => c.runs.wait("t1", { assistant_id: "agent", input: {} }),
      { method: "POST", url: "/threads/t1/runs/wait", body: { assistant_id: "agent", input: {} } },
    ],
    [
      "runs.list",
      (c) => c.runs.list("t1", { limit: 5, status: "success" }),
      { method: "GET", url: "/threads/t1/runs?limit=5&status=success" },
    ],
    ["runs.get", (c) => c.runs.get("t1", "r1"), { method: "GET", url: "/threads/t1/runs/r1" }],
    ["runs.join", (c) => c.runs.join("t1", "r1"), { method: "GET", url: "/threads/t1/runs/r1/join" }],
    ["runs.cancel", (c) => c.runs.cancel("t1", "r1"), { method: "POST", url: "/threads/t1/runs/r1/cancel" }],
    [
      "runs.cancel with wait and action",
      (c) => c.runs.cancel("t1", "r1", { wait: true, action: "rollback" }),
      { method: "POST", url: "/threads/t1/runs/r1/cancel?wait=1&action=rollback" },
    ],
    ["threads.state", (c) => c.threads.state("t1"), { method: "GET", url: "/threads/t1/state" }],
    [
      "threads.state at a checkpoint",
      (c) => c.threads.state("t1", { checkpointId: "cp/1", subgraphs: true }),
      { method: "GET", url: "/threads/t1/state/cp%2F1?subgraphs=true" },
    ],
    [
      "threads.history",
      (c) => c.threads.history("t1", { limit: 5, metadata: { step: 1 } }),
      { method: "POST", url: "/threads/t1/history", body: { limit: 5, metadata: { step: 1 } } },
    ],
    [
      "threads.history without a query",
      (c) => c.threads.history("t1"),
      { method: "POST", url: "/threads/t1/history", body: {} },
    ],
    [
      "assistants.create",
      (c) => c.assistants.create({ graph_id: "agent", name: "A" }),
      { method: "POST", url: "/assistants", body: { graph_id: "agent", name: "A" } },
    ],
    ["assistants.get", (c) => c.assistants.get("a1"), { method: "GET", url: "/assistants/a1" }],
    [
      "assistants.update",
      (c) => c.assistants.update("a1", { name: "B" }),
      { method: "PATCH", url: "/assistants/a1", body: { name: "B" } },
    ],
    ["assistants.delete", (c) => c.assistants.delete("a1"), { method: "DELETE", url: "/assistants/a1" }],
    [
      "assistants.search",
      (c) => c.assistants.search({ graph_id: "agent" }),
      { method: "POST", url: "/assistants/search", body: { graph_id: "agent" } },
    ],
    [
      "crons.create",
      (c) => c.crons.create({ assistant_id: "agent", schedule: "0 9 * * *", input: { q: 1 } }),
      { method: "POST", url: "/runs/crons", body: { assistant_id: "agent", schedule: "0 9 * * *", input: { q: 1 } } },
    ],
    // A thread cron goes to LangGraph's thread route, the id in the path (a server reading
    // /runs/crons ignores a thread_id in the body, and the cron would silently be unbound).
    [
      "crons.create with thread_id",
      (c) => c.crons.create({ assistant_id: "agent", schedule: "0 9 * * *", thread_id: "t 1", input: { q: 1 } }),
      {
        method: "POST",
        url: "/threads/t%201/runs/crons",
        body: { assistant_id: "agent", schedule: "0 9 * * *", input: { q: 1 } },
      },
    ],
    [
      "crons.search",
      (c) => c.crons.search({ assistant_id: "agent", limit: 2 }),
      { method: "POST", url: "/runs/crons/search", body: { assistant_id: "agent", limit: 2 } },
    ],
    ["crons.delete", (c) => c.crons.delete("c1"), { method: "DELETE", url: "/runs/crons/c1" }],
    [
      "store.putItem",
      (c) => c.store.putItem(["alice", "notes"], "n1", { text: "hi" }),
      { method: "PUT", url: "/store/items", body: { namespace: ["alice", "notes"], key: "n1", value: { text: "hi" } } },
    ],
    [
      "store.getItem",
      (c) => c.store.getItem(["alice", "notes"], "n 1"),
      { method: "GET", url: "/store/items?namespace=alice.notes&key=n+1" },
    ],
    [
      "store.deleteItem",
      (c) => c.store.deleteItem(["alice", "notes"], "n1"),
      { method: "DELETE", url: "/store/items", body: { namespace: ["alice", "notes"], key: "n1" } },
    ],
    [
      "store.searchItems",
      (c) => c.store.searchItems(["alice"], { filter: { kind: "note" }, limit: 20, offset: 0, query: "tax" }),
      {
        method: "POST",
        url: "/store/items/search",
        body: { namespace_prefix: ["alice"], filter: { kind: "note" }, limit: 20, offset: 0, query: "tax" },
      },
    ],
    [
      "store.listNamespaces",
      (c) => c.store.listNamespaces({ prefix: ["alice"], max_depth: 2, limit: 10 }),
      { method: "POST", url: "/store/namespaces", body: { prefix: ["alice"], max_depth: 2, limit: 10 } },
    ],
  ])("%s", async (_name, callIt, expected) => {
    await callIt(client);
    expect(sent()).toEqual([{ body: undefined, ...expected }]);
  });
});

describe("responses", () => {
  it("resolve with the response body", async () => {
    const thread = { thread_id: "t1", created_at: "c", updated_at: "u", metadata: {}, status: "idle" };
    reply = () => [200, thread];
    await expect(client.threads.get("t1")).resolves.toEqual(thread);
    reply = () => [200, [thread]];
    await expect(client.threads.search()).resolves.toEqual([thread]);
  });

  it("delete methods resolve with undefined, also on 204", async () => {
    reply = () => [204, undefined];
    await expect(client.threads.delete("t1")).resolves.toBeUndefined();
    reply = () => [200, { deleted: true }];
    await expect(client.crons.delete("c1")).resolves.toBeUndefined();
    await expect(client.store.putItem(["a"], "k", {})).resolves.toBeUndefined();
  });

  it("getItem resolves with null when the server answers null", async () => {
    reply = () => [200, null];
    await expect(client.store.getItem(["a"], "k")).resolves.toBeNull();
  });
});

describe("arguments", () => {
  it("percent-encodes ids so they cannot leave their path segment", async () => {
    await client.threads.get("../assistants/x?y=1");
    expect(server.received[0].url).toBe("/threads/..%2Fassistants%2Fx%3Fy%3D1");
  });

  it("rejects empty ids and dotted namespace labels without sending", async () => {
    await expect(client.threads.get("")).rejects.toThrow(InvalidArgumentError);
    await expect(client.store.putItem(["a.b"], "k", {})).rejects.toThrow(/without "\."/);
    await expect(client.store.getItem([], "k")).rejects.toThrow(InvalidArgumentError);
    expect(server.received.filter((r) => r.url.startsWith("/threads/"))).toHaveLength(0);
    expect(server.received.filter((r) => r.url.startsWith("/store/"))).toHaveLength(0);
  });

  it("passes per-call headers and an AbortSignal through", async () => {
    const controller = new AbortController();
    await client.assistants.search({}, { headers: { "x-trace": "abc" }, signal: controller.signal });
    expect(server.received[0].headers["x-trace"]).toBe("abc");
  });

  it("client.request sends any route with params and data", async () => {
    reply = (req) => [201, { got: req.body, url: req.url }];
    const out = await client.request<{ got: unknown; url: string }>({
      method: "post",
      url: "/custom",
      params: { a: 1 },
      data: { b: 2 },
    });
    expect(out).toEqual({ got: { b: 2 }, url: "/custom?a=1" });
  });

  it("uses the app's own axios instance (its interceptors run, it is not modified)", async () => {
    const axios = (await import("axios")).default;
    const instance = axios.create({ headers: { "x-from-instance": "yes" } });
    let intercepted = 0;
    instance.interceptors.request.use((config) => {
      intercepted++;
      return config;
    });
    const own = createClient({ baseURL: server.url, axios: instance, headers: { "x-client": "1" } });
    await own.threads.get("t1");
    expect(intercepted).toBe(1);
    expect(server.received[0].headers["x-from-instance"]).toBe("yes");
    expect(server.received[0].headers["x-client"]).toBe("1");
    expect(instance.defaults.baseURL).toBeUndefined();
    expect(instance.defaults.headers).not.toHaveProperty("x-client");
  });
});
