/**
 * Broken object level authorization, route by route. The route list comes
 * from the app's own router, so a route added to the server without a probe
 * case here fails the first test. For every route, bob goes after alice's
 * records with the statuses semantics §2 prescribes (404 for foreign records,
 * 409 for a taken id, 403 for writes into a foreign store namespace, 404 for a
 * foreign store item); no response to bob carries alice's data, and bob's
 * probes write nothing at all (every table's row count is unchanged).
 */
import type { Express } from "express";
import { createApp } from "../../src/app";
import type { Db } from "../../src/db";
import { DATABASES, openTestDatabase, type TestDatabase } from "../support/databases";
import { call, client, SECRET, startServer, token, type Client, type Reply, type TestServer } from "../support/server";
import { expectSafeError } from "./support";

jest.setTimeout(60_000);

const MARK = "alice-private-7f3a";
const MISSING = "00000000-0000-4000-8000-000000000000";
const TABLES = ["threads", "runs", "assistants", "crons", "store_items"] as const;

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
  slash?: boolean;
}

/**
 * "METHOD /path" for every route of an Express 5 app: walks `app.router.stack`
 * (router 2.x), descending into mounted routers. Routers mounted under a path
 * other than "/" get that prefix; anything it cannot read is an error, so the
 * list is never silently short.
 */
export function listRoutes(app: Express): string[] {
  const routes: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== "_all") routes.push(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
        }
      } else if (layer.handle?.stack) {
        if (typeof layer.rawPath !== "string")
          throw new Error(`listRoutes: a router is mounted at ${String(layer.rawPath)}; teach listRoutes that path`);
        walk(layer.handle.stack, layer.slash ? prefix : prefix + layer.rawPath);
      }
    }
  };
  const router = (app as unknown as { router?: { stack?: Layer[] } }).router;
  if (!router?.stack) throw new Error("listRoutes: app.router.stack is missing (not Express 5?)");
  walk(router.stack, "");
  return routes;
}

/** Alice's records the probes go after, and bob's own (for cross-record probes). */
interface World {
  thread: string;
  run: string;
  assistant: string;
  cron: string;
  threadCron: string;
  bobThread: string;
}

type Probe = (bob: Client, w: World) => Promise<void>;

const run = { assistant_id: "echo", input: { messages: [{ role: "user", content: "bob was here" }] } };

function status(res: Reply, expected: number): Reply {
  if (res.status !== expected) throw new Error(`expected ${expected}, got ${res.status}: ${res.text}`);
  if (expected >= 400) expectSafeError(res, expected);
  return res;
}

/** Every route of the app, and what bob gets when he aims it at alice's records. */
const PROBES: Record<string, Probe> = {
  "GET /health": async (bob) => void status(await bob.get("/health"), 200),
  "GET /info": async (bob) => void status(await bob.get("/info"), 200),
  "GET /ready": async (bob) => void status(await bob.get("/ready"), 200),

  "POST /threads": async (bob, w) => {
    status(await bob.post("/threads", { thread_id: w.thread, metadata: { stolen: true } }), 409);
    status(await bob.post("/threads", { thread_id: w.thread, if_exists: "do_nothing" }), 409);
  },
  "POST /threads/search": async (bob, w) => {
    for (const query of [
      {},
      { metadata: { secret: MARK } },
      { metadata: { owner: "alice" } },
      { ids: [w.thread] },
      { limit: 1000, offset: 0 },
    ]) {
      const found = status(await bob.post("/threads/search", query), 200).body as {
        thread_id: string;
        metadata: { owner: string };
      }[];
      expect(found.map((t) => [t.thread_id, t.metadata.owner])).toEqual(
        Object.keys(query).length === 0 || "limit" in query ? [[w.bobThread, "bob"]] : [],
      );
    }
  },
  "GET /threads/:thread_id": async (bob, w) => void status(await bob.get(`/threads/${w.thread}`), 404),
  "GET /threads/:thread_id/state": async (bob, w) => void status(await bob.get(`/threads/${w.thread}/state`), 404),
  "PATCH /threads/:thread_id": async (bob, w) =>
    void status(await bob.patch(`/threads/${w.thread}`, { metadata: { owner: "bob", secret: "x" } }), 404),
  "DELETE /threads/:thread_id": async (bob, w) => void status(await bob.delete(`/threads/${w.thread}`), 404),
  "POST /threads/:thread_id/copy": async (bob, w) => void status(await bob.post(`/threads/${w.thread}/copy`), 404),

  "POST /threads/:thread_id/runs": async (bob, w) => {
    status(await bob.post(`/threads/${w.thread}/runs`, run), 404);
    status(await bob.post(`/threads/${w.bobThread}/runs`, { ...run, assistant_id: w.assistant }), 404);
  },
  "POST /threads/:thread_id/runs/wait": async (bob, w) => {
    status(await bob.post(`/threads/${w.thread}/runs/wait`, run), 404);
    status(await bob.post(`/threads/${w.bobThread}/runs/wait`, { ...run, assistant_id: w.assistant }), 404);
  },
  "POST /threads/:thread_id/runs/stream": async (bob, w) => {
    status(await bob.post(`/threads/${w.thread}/runs/stream`, run), 404);
    status(await bob.post(`/threads/${w.bobThread}/runs/stream`, { ...run, assistant_id: w.assistant }), 404);
  },
  "POST /runs/stream": async (bob, w) => {
    status(await bob.post("/runs/stream", { ...run, assistant_id: w.assistant }), 404); // alice's assistant
  },
  "GET /threads/:thread_id/runs/:run_id/stream": async (bob, w) => {
    status(await bob.get(`/threads/${w.thread}/runs/${w.run}/stream`), 404);
    status(
      await bob.get(`/threads/${w.thread}/runs/${w.run}/stream`, undefined, { headers: { "last-event-id": "0" } }),
      404,
    );
    status(await bob.get(`/threads/${w.bobThread}/runs/${w.run}/stream`), 404); // alice's run through bob's own thread
  },
  "GET /threads/:thread_id/runs": async (bob, w) => void status(await bob.get(`/threads/${w.thread}/runs`), 404),
  "GET /threads/:thread_id/runs/:run_id": async (bob, w) => {
    status(await bob.get(`/threads/${w.thread}/runs/${w.run}`), 404);
    status(await bob.get(`/threads/${w.bobThread}/runs/${w.run}`), 404); // alice's run through bob's own thread
  },

  "POST /assistants": async (bob, w) => {
    status(await bob.post("/assistants", { assistant_id: w.assistant, graph_id: "echo" }), 409);
    status(
      await bob.post("/assistants", { assistant_id: w.assistant, graph_id: "echo", if_exists: "do_nothing" }),
      409,
    );
  },
  "POST /assistants/search": async (bob) => {
    for (const query of [{}, { metadata: { secret: MARK } }, { name: MARK }, { graph_id: "echo", limit: 1000 }]) {
      const res = status(await bob.post("/assistants/search", query), 200);
      expect(res.body).toEqual([]);
      expect(res.headers.get("x-pagination-total")).toBe("0");
    }
  },
  "GET /assistants/:assistant_id": async (bob, w) => void status(await bob.get(`/assistants/${w.assistant}`), 404),
  "PATCH /assistants/:assistant_id": async (bob, w) =>
    void status(await bob.patch(`/assistants/${w.assistant}`, { name: "bob's now" }), 404),
  "DELETE /assistants/:assistant_id": async (bob, w) =>
    void status(await bob.delete(`/assistants/${w.assistant}`), 404),

  "POST /runs/crons": async (bob, w) =>
    void status(await bob.post("/runs/crons", { assistant_id: w.assistant, schedule: "* * * * *" }), 404),
  "POST /threads/:thread_id/runs/crons": async (bob, w) => {
    status(await bob.post(`/threads/${w.thread}/runs/crons`, { assistant_id: "echo", schedule: "* * * * *" }), 404);
    status(
      await bob.post(`/threads/${w.bobThread}/runs/crons`, { assistant_id: w.assistant, schedule: "* * * * *" }),
      404,
    );
  },
  "POST /runs/crons/search": async (bob, w) => {
    for (const query of [{}, { metadata: { secret: MARK } }, { thread_id: w.thread }, { assistant_id: w.assistant }]) {
      expect(status(await bob.post("/runs/crons/search", query), 200).body).toEqual([]);
    }
  },
  "PATCH /runs/crons/:cron_id": async (bob, w) => {
    status(await bob.patch(`/runs/crons/${w.cron}`, { enabled: false }), 404);
    status(await bob.patch(`/runs/crons/${w.threadCron}`, { schedule: "0 0 * * *" }), 404);
  },
  "DELETE /runs/crons/:cron_id": async (bob, w) => {
    status(await bob.delete(`/runs/crons/${w.cron}`), 404);
    status(await bob.delete(`/runs/crons/${w.threadCron}`), 404);
  },

  "PUT /store/items": async (bob) => {
    status(await bob.put("/store/items", { namespace: ["alice", "notes"], key: "n1", value: { text: "bob" } }), 403);
    status(await bob.put("/store/items", { namespace: ["alice"], key: "new", value: { text: "bob" } }), 403);
  },
  "GET /store/items": async (bob) => void status(await bob.get("/store/items?namespace=alice.notes&key=n1"), 404),
  "DELETE /store/items": async (bob) =>
    void status(await bob.delete("/store/items", { namespace: ["alice", "notes"], key: "n1" }), 403),
  "POST /store/items/search": async (bob) => {
    status(await bob.post("/store/items/search", { namespace_prefix: ["alice"] }), 403);
    status(await bob.post("/store/items/search", { namespace_prefix: ["alice", "notes"] }), 403);
    for (const query of [{}, { filter: { text: MARK } }, { limit: 1000 }]) {
      const items = status(await bob.post("/store/items/search", query), 200).body.items as { namespace: string[] }[];
      expect(items.every((item) => item.namespace[0] === "bob")).toBe(true);
    }
  },
  "POST /store/namespaces": async (bob) => {
    status(await bob.post("/store/namespaces", { prefix: ["alice"] }), 403);
    const namespaces = status(await bob.post("/store/namespaces", {}), 200).body.namespaces as string[][];
    expect(namespaces).toEqual([["bob", "notes"]]);
  },
};

const PUBLIC_ROUTES = new Set(["GET /health", "GET /info", "GET /ready"]);

const unusedDb = new Proxy({} as Db, {
  get: () => {
    throw new Error("listing routes must not touch the database");
  },
});
const ROUTES = listRoutes(createApp({ db: unusedDb, jwtSecret: SECRET }));

test("the router lists the routes, and every route has exactly one probe case", () => {
  expect(ROUTES.length).toBeGreaterThanOrEqual(29);
  expect(new Set(ROUTES).size).toBe(ROUTES.length);
  const missing = ROUTES.filter((route) => !(route in PROBES));
  const stale = Object.keys(PROBES).filter((route) => !ROUTES.includes(route));
  expect({ missing, stale }).toEqual({ missing: [], stale: [] });
});

describe.each(DATABASES)("bob against alice's records, every route, on %s", (kind) => {
  let database: TestDatabase;
  let server: TestServer;
  let alice: Client;
  let bob: Client;
  let world: World;
  const bobSaw: string[] = [];
  let aliceBefore: unknown;
  let countsBefore: Record<string, number>;

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of TABLES)
      out[table] = Number((await database.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
    return out;
  }

  /** Everything alice can see of her records, timestamps included. */
  async function aliceView(): Promise<unknown> {
    return {
      thread: (await alice.get(`/threads/${world.thread}`)).body,
      state: (await alice.get(`/threads/${world.thread}/state`)).body,
      runs: (await alice.get(`/threads/${world.thread}/runs`)).body,
      assistant: (await alice.get(`/assistants/${world.assistant}`)).body,
      crons: (await alice.post("/runs/crons/search", { sort_by: "cron_id" })).body,
      item: (await alice.get("/store/items?namespace=alice.notes&key=n1")).body,
      namespaces: (await alice.post("/store/namespaces", {})).body,
    };
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    server = await startServer({ db: database.db });
    alice = client(server.url, token("alice"));
    const bobClient = client(server.url, token("bob"));
    const record =
      (fn: (...args: any[]) => Promise<Reply>) =>
      async (...args: any[]) => {
        const res = await fn(...args);
        bobSaw.push(`${res.status} ${res.text} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("; ")}`);
        return res;
      };
    bob = {
      ...bobClient,
      get: record(bobClient.get),
      post: record(bobClient.post),
      put: record(bobClient.put),
      patch: record(bobClient.patch),
      delete: record(bobClient.delete),
    };

    const ok = (res: Reply) => {
      if (res.status !== 200) throw new Error(`setup failed: ${res.status} ${res.text}`);
      return res.body;
    };
    const thread = ok(await alice.post("/threads", { metadata: { secret: MARK } })).thread_id;
    await alice.post(`/threads/${thread}/runs/wait`, {
      assistant_id: "echo",
      input: { messages: [{ role: "user", content: MARK }] },
    });
    const runId = ok(await alice.get(`/threads/${thread}/runs`))[0].run_id;
    const assistant = ok(
      await alice.post("/assistants", { graph_id: "echo", name: MARK, metadata: { secret: MARK } }),
    ).assistant_id;
    const cron = ok(
      await alice.post("/runs/crons", { assistant_id: assistant, schedule: "*/5 * * * *", metadata: { secret: MARK } }),
    ).cron_id;
    const threadCron = ok(
      await alice.post(`/threads/${thread}/runs/crons`, {
        assistant_id: "echo",
        schedule: "0 * * * *",
        input: { note: MARK },
      }),
    ).cron_id;
    expect(
      (await alice.put("/store/items", { namespace: ["alice", "notes"], key: "n1", value: { text: MARK } })).status,
    ).toBe(204);
    const bobThread = ok(await bobClient.post("/threads", { metadata: { mine: true } })).thread_id;
    expect(
      (await bobClient.put("/store/items", { namespace: ["bob", "notes"], key: "b1", value: { text: "bob's" } }))
        .status,
    ).toBe(204);
    world = { thread, run: runId, assistant, cron, threadCron, bobThread };
    aliceBefore = await aliceView();
    countsBefore = await counts();
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  }, 60_000);

  test.each(ROUTES)("%s", async (route) => {
    const probe = PROBES[route];
    if (!probe) throw new Error(`No probe case for ${route}: add one to PROBES in ${__filename}`);
    await probe(bob, world);
  });

  test.each(ROUTES.filter((route) => !PUBLIC_ROUTES.has(route)))("%s without a token: 401", async (route) => {
    const [method, path] = route.split(" ") as [string, string];
    const res = await call(server.url, method, path.replace(/:[a-z_]+/g, MISSING), {
      body: method === "GET" ? undefined : {},
    });
    expectSafeError(res, 401, "credentials_required");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api", ApiKey header="X-API-Key", realm="api"'); // the JWT's and the API key's challenges
  });

  test("zero leaks: no response to bob carries alice's data", () => {
    expect(bobSaw.length).toBeGreaterThan(ROUTES.length);
    // Ids bob sent come back in 404 messages ("Run <id> not found"); alice's data never does.
    const leaks = bobSaw.filter((text) => text.includes(MARK) || /"owner":"alice"|"alice"/.test(text));
    expect(leaks).toEqual([]);
  });

  test("bob's probes wrote nothing: alice's records and every table's row count are unchanged", async () => {
    expect(await aliceView()).toEqual(aliceBefore);
    expect(await counts()).toEqual(countsBefore);
  });
});
