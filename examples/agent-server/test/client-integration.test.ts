/**
 * @gatehouse/client against this server, in-process: createApp on an in-memory
 * PGlite, listening on 127.0.0.1 on an ephemeral port. Every resource method
 * as alice and bob, the typed errors the server's answers map to (404 for a
 * foreign record, 403 without a scope, 401 with an RFC 6750 challenge), and
 * refresh: an expired token is replaced by `refresh()`, once for a burst.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  bearer,
  createClient,
  ConflictError,
  ForbiddenError,
  GatehouseError,
  HttpError,
  NotFoundError,
  UnauthorizedError,
  type Client,
  type Credentials,
  type RefreshContext,
} from "@gatehouse/client";
import { createApp } from "../src/app";
import { openDb, type Db } from "../src/db";
import { mintToken } from "../src/tokens";
import { SECRET } from "./support/server";

jest.setTimeout(30_000);

let db: Db;
let server: Server;
let url: string;
/** The bearer token of every request the server received, in order. */
let seenTokens: (string | undefined)[] = [];

const fresh = (identity: string, scopes?: readonly string[]) => mintToken(SECRET, identity, scopes ? { scopes } : {});
/** Signed with the right secret and algorithm, but `exp` is a minute in the past. */
const expired = (identity: string) => mintToken(SECRET, identity, { expiresIn: -60 });
// refreshMargin: 0: these tests send expired tokens on purpose to exercise the 401 path; refreshing
// ahead of expiry (the default) would replace them before they are sent (tested in refresh-ahead.test.ts).
const as = (credentials: Credentials, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client =>
  createClient({ baseURL: url, credentials, refreshMargin: 0, ...extra });

let alice: Client;
let bob: Client;

beforeAll(async () => {
  db = await openDb({ memory: true });
  const app = createApp({ db, jwtSecret: SECRET });
  server = createServer((req: IncomingMessage, res) => {
    seenTokens.push(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1]);
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  alice = as(bearer(fresh("alice")));
  bob = as(bearer(fresh("bob")));
}, 120_000);

afterAll(async () => {
  if (server) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  await db?.close();
}, 60_000);

beforeEach(() => {
  seenTokens = [];
});

/** The rejection of `promise` (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<GatehouseError> {
  const result = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in result)) throw new Error(`expected a rejection, got ${JSON.stringify(result.value)}`);
  expect(result.error).toBeInstanceOf(GatehouseError);
  return result.error as GatehouseError;
}

describe("threads", () => {
  test("create, get, update, search, copy and delete as the owner", async () => {
    const thread = await alice.threads.create({ metadata: { topic: "tax" } });
    expect(thread).toMatchObject({ metadata: { topic: "tax", owner: "alice" }, status: "idle" });
    expect(typeof thread.thread_id).toBe("string");

    expect((await alice.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
    const updated = await alice.threads.update(thread.thread_id, { metadata: { year: 2025 } });
    expect(updated.metadata).toEqual({ topic: "tax", year: 2025, owner: "alice" });

    const found = await alice.threads.search({ metadata: { topic: "tax" }, limit: 10 });
    expect(found.map((t) => t.thread_id)).toEqual([thread.thread_id]);

    const copy = await alice.threads.copy(thread.thread_id);
    expect(copy.thread_id).not.toBe(thread.thread_id);
    expect(copy.metadata).toMatchObject({ topic: "tax", owner: "alice" });

    await expect(alice.threads.delete(thread.thread_id)).resolves.toBeUndefined();
    const gone = await rejection(alice.threads.get(thread.thread_id));
    expect(gone).toBeInstanceOf(NotFoundError);
    await alice.threads.delete(copy.thread_id);
  });

  test("bob gets NotFoundError for every route on alice's thread, and never sees it in search", async () => {
    const thread = await alice.threads.create({ metadata: { topic: "private" } });
    const id = thread.thread_id;
    const attempts: [string, Promise<unknown>][] = [
      ["get", bob.threads.get(id)],
      ["update", bob.threads.update(id, { metadata: { topic: "mine" } })],
      ["copy", bob.threads.copy(id)],
      ["delete", bob.threads.delete(id)],
      ["runs.create", bob.runs.create(id, { assistant_id: "echo", input: {} })],
      ["runs.wait", bob.runs.wait(id, { assistant_id: "echo", input: {} })],
      ["runs.list", bob.runs.list(id)],
    ];
    for (const [what, attempt] of attempts) {
      const error = await rejection(attempt);
      expect([what, error]).toEqual([what, expect.any(NotFoundError)]);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({
        status: 404,
        code: "not_found",
        method: expect.any(String),
        url: expect.stringContaining(id),
      });
    }
    expect(await bob.threads.search({ metadata: { topic: "private" } })).toEqual([]);
    expect(await bob.threads.search({ metadata: { owner: "alice" } })).toEqual([]);

    const still = await alice.threads.get(id);
    expect(still.metadata).toEqual({ topic: "private", owner: "alice" });
    expect(await alice.runs.list(id)).toEqual([]);
  });

  test("a thread_id that alice holds is a ConflictError for bob", async () => {
    const thread = await alice.threads.create();
    const error = await rejection(bob.threads.create({ thread_id: thread.thread_id }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.status).toBe(409);
  });
});

describe("runs", () => {
  test("create, wait, list and get on the owner's thread; bob's runs.get is a NotFoundError", async () => {
    const thread = await alice.threads.create();
    const values = await alice.runs.wait<{ messages: { type: string; content: string }[] }>(thread.thread_id, {
      assistant_id: "echo",
      input: { messages: [{ role: "user", content: "hi" }] },
    });
    expect(values.messages.map((m) => [m.type, m.content])).toEqual([
      ["human", "hi"],
      ["ai", "hi"],
    ]);

    const run = await alice.runs.create(thread.thread_id, {
      assistant_id: "echo",
      input: { messages: [{ role: "user", content: "again" }] },
      metadata: { source: "client" },
    });
    expect(run).toMatchObject({ thread_id: thread.thread_id, metadata: { source: "client", owner: "alice" } });
    expect(typeof run.run_id).toBe("string");

    const runs = await alice.runs.list(thread.thread_id, { limit: 10 });
    expect(runs.map((r) => r.run_id)).toContain(run.run_id);
    expect(runs.length).toBe(2);
    expect((await alice.runs.get(thread.thread_id, run.run_id)).run_id).toBe(run.run_id);

    expect(await rejection(bob.runs.get(thread.thread_id, run.run_id))).toBeInstanceOf(NotFoundError);
  });
});

describe("assistants", () => {
  test("create, get, update, search and delete; another user's assistant is missing", async () => {
    const assistant = await alice.assistants.create({ graph_id: "echo", name: "Tax helper", metadata: { team: "a" } });
    expect(assistant).toMatchObject({ graph_id: "echo", name: "Tax helper", metadata: { team: "a", owner: "alice" } });
    expect((await alice.assistants.get(assistant.assistant_id)).name).toBe("Tax helper");
    const renamed = await alice.assistants.update(assistant.assistant_id, { name: "Tax expert" });
    expect(renamed.name).toBe("Tax expert");
    const found = await alice.assistants.search({ metadata: { team: "a" }, limit: 10 });
    expect(found.map((a) => a.assistant_id)).toEqual([assistant.assistant_id]);

    expect(await bob.assistants.search({ metadata: { team: "a" } })).toEqual([]);
    expect(await rejection(bob.assistants.get(assistant.assistant_id))).toBeInstanceOf(NotFoundError);
    expect(await rejection(bob.assistants.update(assistant.assistant_id, { name: "bob's" }))).toBeInstanceOf(
      NotFoundError,
    );
    expect(await rejection(bob.assistants.delete(assistant.assistant_id))).toBeInstanceOf(NotFoundError);

    await expect(alice.assistants.delete(assistant.assistant_id)).resolves.toBeUndefined();
    expect(await rejection(alice.assistants.get(assistant.assistant_id))).toBeInstanceOf(NotFoundError);
  });
});

describe("crons", () => {
  test("create, search and delete; bob neither sees nor deletes alice's cron", async () => {
    const thread = await alice.threads.create();
    const cron = await alice.crons.create({
      assistant_id: "echo",
      schedule: "0 9 * * 1",
      thread_id: thread.thread_id,
      input: { messages: ["weekly"] },
      metadata: { job: "weekly" },
    });
    expect(cron).toMatchObject({
      schedule: "0 9 * * 1",
      thread_id: thread.thread_id,
      metadata: { job: "weekly", owner: "alice" },
    });

    const found = await alice.crons.search({ thread_id: thread.thread_id });
    expect(found.map((c) => c.cron_id)).toEqual([cron.cron_id]);
    expect(await bob.crons.search({ thread_id: thread.thread_id })).toEqual([]);
    expect(await rejection(bob.crons.delete(cron.cron_id))).toBeInstanceOf(NotFoundError);
    const onAlices = bob.crons.create({ assistant_id: "echo", schedule: "0 9 * * 1", thread_id: thread.thread_id });
    expect(await rejection(onAlices)).toBeInstanceOf(NotFoundError);
    expect(await alice.crons.search({ thread_id: thread.thread_id })).toHaveLength(1);

    const unbound = await alice.crons.create({ assistant_id: "echo", schedule: "*/10 * * * *" });
    expect(unbound.thread_id).toBeNull();
    await alice.crons.delete(unbound.cron_id);

    await expect(alice.crons.delete(cron.cron_id)).resolves.toBeUndefined();
    expect(await alice.crons.search({ thread_id: thread.thread_id })).toEqual([]);
  });
});

describe("store", () => {
  test("putItem, getItem, searchItems, listNamespaces and deleteItem; bob is kept out of alice's namespaces", async () => {
    await expect(alice.store.putItem(["alice", "notes"], "n1", { text: "hello" })).resolves.toBeUndefined();
    await alice.store.putItem(["alice", "notes", "2025"], "n2", { text: "later" });

    const item = await alice.store.getItem<{ text: string }>(["alice", "notes"], "n1");
    expect(item).toMatchObject({ namespace: ["alice", "notes"], key: "n1", value: { text: "hello" } });
    const { items } = await alice.store.searchItems(["alice"], { filter: { text: "later" }, limit: 10 });
    expect(items.map((i) => i.key)).toEqual(["n2"]);
    const { namespaces } = await alice.store.listNamespaces({ prefix: ["alice"] });
    expect(namespaces).toEqual(
      expect.arrayContaining([
        ["alice", "notes"],
        ["alice", "notes", "2025"],
      ]),
    );

    expect(await rejection(bob.store.getItem(["alice", "notes"], "n1"))).toBeInstanceOf(NotFoundError);
    expect(await rejection(bob.store.putItem(["alice", "notes"], "n1", { text: "bob was here" }))).toBeInstanceOf(
      ForbiddenError,
    );
    expect(await rejection(bob.store.deleteItem(["alice", "notes"], "n1"))).toBeInstanceOf(ForbiddenError);
    expect(await rejection(bob.store.searchItems(["alice"]))).toBeInstanceOf(ForbiddenError);
    expect((await bob.store.searchItems([])).items).toEqual([]);
    expect((await bob.store.listNamespaces()).namespaces).toEqual([]);
    expect((await alice.store.getItem(["alice", "notes"], "n1"))?.value).toEqual({ text: "hello" });

    await expect(alice.store.deleteItem(["alice", "notes"], "n1")).resolves.toBeUndefined();
    // This server answers 404 for a missing item (as LangGraph's SDK expects), so getItem rejects.
    expect(await rejection(alice.store.getItem(["alice", "notes"], "n1"))).toBeInstanceOf(NotFoundError);
  });
});

describe("client.request", () => {
  test("reaches routes without a resource method, public or not", async () => {
    await expect(alice.request<{ ok: boolean }>({ method: "GET", url: "/health" })).resolves.toMatchObject({
      ok: true,
    });
    const error = await rejection(alice.request({ method: "GET", url: "/no/such/route" }));
    expect(error).toBeInstanceOf(NotFoundError);
  });
});

describe("authorization errors", () => {
  test("a token without the needed scope gets ForbiddenError, and no refresh is attempted", async () => {
    const refresh = jest.fn();
    const reader = as(bearer(fresh("carol", ["threads:read"])), { refresh });
    await expect(reader.threads.search()).resolves.toEqual([]);
    const error = await rejection(reader.threads.create({ metadata: { topic: "nope" } }));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ status: 403, code: "forbidden" });
    expect(JSON.stringify(error.body)).toContain("threads:write");
    expect(await rejection(reader.store.putItem(["carol"], "k", { v: 1 }))).toBeInstanceOf(ForbiddenError);
    expect(refresh).not.toHaveBeenCalled();
    expect(seenTokens).toHaveLength(3); // never retried
  });

  test("a bad token gets UnauthorizedError with the server's RFC 6750 challenge", async () => {
    const error = await rejection(as(bearer("not-a-jwt")).threads.search());
    expect(error).toBeInstanceOf(UnauthorizedError);
    const unauthorized = error as UnauthorizedError;
    expect(unauthorized).toMatchObject({ status: 401, code: "invalid_token" }); // the server's own code
    expect(unauthorized.wwwAuthenticate).toMatch(/^Bearer /);
    expect(unauthorized.challenge).toEqual({
      scheme: "Bearer",
      params: expect.objectContaining({ error: "invalid_token" }),
    });
  });

  test("no credentials at all: UnauthorizedError with a Bearer challenge", async () => {
    const error = await rejection(createClient({ baseURL: url }).threads.search());
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).challenge?.scheme).toBe("Bearer");
  });

  test("a token signed with another secret is a 401 too, not a 403", async () => {
    const forged = mintToken("another-secret-0123456789", "alice");
    expect(await rejection(as(bearer(forged)).threads.search())).toBeInstanceOf(UnauthorizedError);
  });
});

describe("refresh", () => {
  test("an expired token is a 401 with invalid_token; refresh() mints a fresh one and the call succeeds", async () => {
    const session = { token: expired("alice") };
    const noRefresh = as(bearer(() => session.token));
    const error = await rejection(noRefresh.threads.search());
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).challenge?.params.error).toBe("invalid_token");

    const refresh = jest.fn((_context: RefreshContext) => {
      session.token = fresh("alice");
      return Promise.resolve();
    });
    const client = as(
      bearer(() => session.token),
      { refresh },
    );
    const expiredToken = session.token;
    seenTokens = [];
    const thread = await client.threads.create({ metadata: { topic: "after-refresh" } });
    expect(thread.metadata).toMatchObject({ owner: "alice" });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh.mock.calls[0][0]).toMatchObject({ reason: "unauthorized", error: expect.any(UnauthorizedError) });
    expect(seenTokens).toEqual([expiredToken, session.token]);

    // The fresh token is used from now on: no more refreshes.
    expect((await client.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  test("50 concurrent calls with an expired token cause exactly one refresh, and each is retried once", async () => {
    const session = { token: expired("bob") };
    const expiredToken = session.token;
    let refreshes = 0;
    const client = as(
      bearer(() => session.token),
      {
        refresh: async () => {
          refreshes++;
          await new Promise((resolve) => setTimeout(resolve, 20)); // the burst arrives while it runs
          session.token = fresh("bob");
        },
      },
    );
    const own = await as(bearer(fresh("bob"))).threads.create({ metadata: { topic: "burst" } });
    seenTokens = [];

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? client.threads.get(own.thread_id) : client.threads.search({ metadata: { topic: "burst" } }),
      ),
    );
    expect(refreshes).toBe(1);
    for (const [i, result] of results.entries()) {
      if (i % 2 === 0) expect(result).toMatchObject({ thread_id: own.thread_id });
      else expect(result).toEqual([expect.objectContaining({ thread_id: own.thread_id })]);
    }
    expect(seenTokens).toHaveLength(100);
    expect(seenTokens.filter((t) => t === expiredToken)).toHaveLength(50);
    expect(seenTokens.filter((t) => t === session.token)).toHaveLength(50);
  });

  test("when refresh fails, every waiting call rejects with UnauthorizedError carrying the cause", async () => {
    const cause = new Error("session ended");
    let refreshes = 0;
    const client = as(bearer(expired("alice")), {
      refresh: () => {
        refreshes++;
        return Promise.reject(cause);
      },
    });
    const errors = await Promise.all(Array.from({ length: 5 }, () => rejection(client.threads.search())));
    expect(refreshes).toBe(1);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error.cause).toBe(cause);
    }
  });

  test("a refresh that leaves the token expired gives up after one retry: no loop", async () => {
    const refresh = jest.fn(() => Promise.resolve());
    const client = as(bearer(expired("alice")), { refresh });
    expect(await rejection(client.threads.search())).toBeInstanceOf(UnauthorizedError);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(seenTokens).toHaveLength(2);
  });
});
