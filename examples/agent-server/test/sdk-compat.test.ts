/**
 * LangGraph's official JS SDK (@langchain/langgraph-sdk) against this server:
 * the request bodies it sends and the response fields it reads, for threads,
 * runs, assistants, crons and the store, with a Bearer token per user.
 */
import { Client } from "@langchain/langgraph-sdk";
import { openDb, type Db } from "../src/db";
import { systemAssistantId } from "../src/graph";
import { startServer, token, type TestServer } from "./support/server";

jest.setTimeout(30_000);

let db: Db;
let server: TestServer;
let alice: Client;
let bob: Client;

const sdkClient = (identity: string) =>
  new Client({
    apiUrl: server.url,
    apiKey: null, // do not pick up LANGGRAPH_API_KEY & co. from the environment
    defaultHeaders: { Authorization: `Bearer ${token(identity)}` },
    callerOptions: { maxRetries: 0 },
  });

/** The HTTP status of a rejected SDK call. */
async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
  return 200;
}

beforeAll(async () => {
  db = await openDb({ memory: true });
  server = await startServer({ db });
  alice = sdkClient("alice");
  bob = sdkClient("bob");
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
}, 60_000);

describe("threads", () => {
  test("create, get, update, search, copy, getState and delete", async () => {
    const thread = await alice.threads.create({ metadata: { topic: "tax" } });
    expect(thread).toMatchObject({ metadata: { topic: "tax", owner: "alice" }, status: "idle" });
    expect(typeof thread.created_at).toBe("string");

    expect((await alice.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
    const updated = await alice.threads.update(thread.thread_id, { metadata: { year: 2025 } });
    expect(updated.metadata).toEqual({ topic: "tax", year: 2025, owner: "alice" });

    const found = await alice.threads.search({
      metadata: { topic: "tax" },
      limit: 5,
      offset: 0,
      status: "idle",
      sortBy: "created_at",
      sortOrder: "desc",
    });
    expect(found.map((t) => t.thread_id)).toContain(thread.thread_id);

    const copy = await alice.threads.copy(thread.thread_id);
    expect(copy.thread_id).not.toBe(thread.thread_id);
    const state = await alice.threads.getState(copy.thread_id);
    expect(state.values).toEqual({});
    expect(state.next).toEqual([]);

    await alice.threads.delete(thread.thread_id);
    expect(await statusOf(alice.threads.get(thread.thread_id))).toBe(404);
  });

  test("threadId and ifExists: a foreign id is a 409, the caller's own with do_nothing returns it", async () => {
    const threadId = "6f1d3c1e-8a53-4a49-9f55-5b1d2a3c4e5f";
    await alice.threads.create({ threadId, metadata: { n: 1 } });
    expect(await statusOf(bob.threads.create({ threadId }))).toBe(409);
    expect(await statusOf(bob.threads.create({ threadId, ifExists: "do_nothing" }))).toBe(409);
    const same = await alice.threads.create({ threadId, ifExists: "do_nothing" });
    expect(same.metadata).toEqual({ n: 1, owner: "alice" });
  });

  test("another user's thread is a 404 through the SDK too", async () => {
    const thread = await alice.threads.create();
    expect(await statusOf(bob.threads.get(thread.thread_id))).toBe(404);
    expect(await bob.threads.search({ metadata: { owner: "alice" } })).toEqual([]);
  });
});

describe("runs", () => {
  test("wait returns the final values", async () => {
    const thread = await alice.threads.create();
    const values = (await alice.runs.wait(thread.thread_id, "echo", {
      input: { messages: [{ role: "user", content: "hi" }] },
    })) as {
      messages: { type: string; content: string }[];
    };
    expect(values.messages.map((m) => [m.type, m.content])).toEqual([
      ["human", "hi"],
      ["ai", "hi"],
    ]);
  });

  test("create reports the run through onRunCreated; list and get find it", async () => {
    const thread = await alice.threads.create();
    let created: { run_id: string; thread_id?: string } | undefined;
    const run = await alice.runs.create(thread.thread_id, systemAssistantId("echo"), {
      input: { messages: ["one"] },
      metadata: { source: "sdk" },
      onRunCreated: (meta) => {
        created = meta;
      },
    });
    expect(created).toEqual({ run_id: run.run_id, thread_id: thread.thread_id });
    expect(run).toMatchObject({
      thread_id: thread.thread_id,
      assistant_id: systemAssistantId("echo"),
      metadata: { source: "sdk", owner: "alice" },
    });
    expect((await alice.runs.list(thread.thread_id, { limit: 10 })).map((r) => r.run_id)).toEqual([run.run_id]);
    expect((await alice.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    expect(await statusOf(bob.runs.get(thread.thread_id, run.run_id))).toBe(404);
  });

  test("stream yields metadata and values events", async () => {
    const thread = await alice.threads.create();
    const events: { event: string; data: any }[] = [];
    for await (const chunk of alice.runs.stream(thread.thread_id, "echo", {
      input: { messages: ["streamed"] },
      streamMode: "values",
    })) {
      events.push(chunk);
    }
    expect(events.map((e) => e.event)).toEqual(["metadata", "values"]);
    expect(events[0].data.run_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[1].data.messages.map((m: { content: string }) => m.content)).toEqual(["streamed", "streamed"]);
  });
});

describe("assistants", () => {
  test("create, get, update, search with pagination, delete", async () => {
    const assistant = await alice.assistants.create({
      graphId: "echo",
      name: "Echo for alice",
      metadata: { team: "a" },
      config: { tags: ["x"] },
    });
    expect(assistant).toMatchObject({
      graph_id: "echo",
      name: "Echo for alice",
      version: 1,
      metadata: { team: "a", owner: "alice" },
    });
    expect((await alice.assistants.get(assistant.assistant_id)).name).toBe("Echo for alice");
    const updated = await alice.assistants.update(assistant.assistant_id, { name: "renamed" });
    expect(updated).toMatchObject({ name: "renamed", version: 2 });

    await alice.assistants.create({ graphId: "echo", metadata: { team: "a" } });
    const page = await alice.assistants.search({ metadata: { team: "a" }, limit: 1, includePagination: true });
    expect(page.assistants).toHaveLength(1);
    expect(page.next).toBe("1");
    expect(await bob.assistants.search({ metadata: { team: "a" } })).toEqual([]);
    expect(await statusOf(bob.assistants.get(assistant.assistant_id))).toBe(404);

    await alice.assistants.delete(assistant.assistant_id);
    expect(await statusOf(alice.assistants.get(assistant.assistant_id))).toBe(404);
  });
});

describe("crons", () => {
  test("create, createForThread, search and delete", async () => {
    const cron = await alice.crons.create("echo", {
      schedule: "0 9 * * 1",
      input: { messages: ["weekly"] },
      metadata: { job: "weekly" },
    });
    expect(cron).toMatchObject({
      schedule: "0 9 * * 1",
      user_id: "alice",
      payload: { input: { messages: ["weekly"] } },
    });
    const thread = await alice.threads.create();
    const onThread = await alice.crons.createForThread(thread.thread_id, "echo", { schedule: "*/10 * * * *" });
    expect(onThread.thread_id).toBe(thread.thread_id);

    const mine = await alice.crons.search({ metadata: { job: "weekly" }, limit: 10 });
    expect(mine.map((c) => c.cron_id)).toEqual([cron.cron_id]);
    expect(await bob.crons.search({ metadata: { job: "weekly" } })).toEqual([]);
    expect(await statusOf(bob.crons.delete(cron.cron_id))).toBe(404);
    await alice.crons.delete(cron.cron_id);
    expect(await alice.crons.search({ metadata: { job: "weekly" } })).toEqual([]);
  });
});

describe("store", () => {
  test("putItem, getItem, searchItems, listNamespaces, deleteItem", async () => {
    await alice.store.putItem(["alice", "notes"], "n1", { text: "hello" });
    await alice.store.putItem(["alice", "notes", "2025"], "n2", { text: "later" });
    const item = await alice.store.getItem(["alice", "notes"], "n1");
    expect(item).toMatchObject({ namespace: ["alice", "notes"], key: "n1", value: { text: "hello" } });
    expect(typeof item!.createdAt).toBe("string");

    const search = await alice.store.searchItems(["alice", "notes"], { filter: { text: "later" } });
    expect(search.items.map((i) => i.key)).toEqual(["n2"]);
    const namespaces = await alice.store.listNamespaces({ prefix: ["alice"], maxDepth: 2 });
    expect(namespaces.namespaces).toEqual([["alice", "notes"]]);

    expect(await statusOf(bob.store.getItem(["alice", "notes"], "n1"))).toBe(404);
    expect(await statusOf(bob.store.putItem(["alice", "notes"], "n1", { text: "bob was here" }))).toBe(403);
    expect(await statusOf(bob.store.deleteItem(["alice", "notes"], "n1"))).toBe(403);
    expect((await bob.store.searchItems([])).items).toEqual([]);

    await alice.store.deleteItem(["alice", "notes"], "n1");
    expect(await statusOf(alice.store.getItem(["alice", "notes"], "n1"))).toBe(404);
  });
});
