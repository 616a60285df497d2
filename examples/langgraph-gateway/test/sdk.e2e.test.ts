/**
 * LangGraph's official JS client (@langchain/langgraph-sdk) through the gateway
 * to LangGraph's own server running the `agent` graph: threads, assistants,
 * store, runs (wait, stream in values and updates modes, join, cancel,
 * stateless), as two users, and the graph seeing who called it.
 */
import type { Client } from "@langchain/langgraph-sdk";
import { startStack, statusOf, type Stack } from "./support/stack";

jest.setTimeout(60_000);

let stack: Stack;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  stack = await startStack();
  alice = stack.client("alice");
  bob = stack.client("bob");
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const say = (content: string) => ({ messages: [{ role: "user", content }] });

type Message = { type?: string; content?: unknown };
const lastMessage = (values: unknown) => (values as { messages: Message[] }).messages.at(-1) ?? {};

describe("threads", () => {
  test("create stamps the owner, get/update/search/count/copy/delete work for the owner", async () => {
    const thread = await alice.threads.create({ metadata: { topic: "tax" } });
    expect(thread.metadata).toEqual({ topic: "tax", owner: "alice" });
    expect((await alice.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);

    // A patch cannot hand the thread to someone else: the owner the handler stamps wins.
    const updated = await alice.threads.update(thread.thread_id, { metadata: { year: 2025, owner: "bob" } });
    expect(updated.metadata).toMatchObject({ topic: "tax", year: 2025, owner: "alice" });

    const found = await alice.threads.search({ metadata: { topic: "tax" }, limit: 10 });
    expect(found.map((t) => t.thread_id)).toContain(thread.thread_id);
    expect(found.every((t) => t.metadata?.owner === "alice")).toBe(true);
    expect(await alice.threads.count({ metadata: { topic: "tax" } })).toBeGreaterThanOrEqual(1);

    const copy = await alice.threads.copy(thread.thread_id);
    expect(copy.thread_id).not.toBe(thread.thread_id);
    expect(copy.metadata).toMatchObject({ owner: "alice" });

    await alice.threads.delete(thread.thread_id);
    expect(await statusOf(alice.threads.get(thread.thread_id))).toBe(404);
  });

  test("state and history after a run, updateState as the owner", async () => {
    const thread = await alice.threads.create();
    await alice.runs.wait(thread.thread_id, "agent", { input: say("state please") });
    const state = await alice.threads.getState<{ user_id: string; word_count: number }>(thread.thread_id);
    expect(state.values).toMatchObject({ user_id: "alice", word_count: 2 });
    expect(state.next).toEqual([]);

    const history = await alice.threads.getHistory(thread.thread_id, { limit: 10 });
    expect(history.length).toBeGreaterThanOrEqual(4); // input + identify + think + respond checkpoints

    await alice.threads.updateState(thread.thread_id, { values: { word_count: 42 }, asNode: "think" });
    expect((await alice.threads.getState<{ word_count: number }>(thread.thread_id)).values.word_count).toBe(42);
  });
});

describe("assistants", () => {
  test("create, get, update, search, count, graph, versions and delete", async () => {
    const assistant = await alice.assistants.create({
      graphId: "agent",
      name: "alice's helper",
      metadata: { team: "a" },
    });
    expect(assistant.metadata).toEqual({ team: "a", owner: "alice" });
    expect((await alice.assistants.get(assistant.assistant_id)).name).toBe("alice's helper");

    const updated = await alice.assistants.update(assistant.assistant_id, {
      name: "renamed",
      metadata: { owner: "bob" },
    });
    expect(updated.name).toBe("renamed");
    expect(updated.metadata).toMatchObject({ owner: "alice" });

    const found = await alice.assistants.search({ metadata: { team: "a" } });
    expect(found.map((a) => a.assistant_id)).toEqual([assistant.assistant_id]);
    expect(await alice.assistants.count({ metadata: { team: "a" } })).toBe(1);

    const graph = await alice.assistants.getGraph(assistant.assistant_id);
    expect(JSON.stringify(graph)).toEqual(expect.stringContaining("respond"));
    const versions = await alice.assistants.getVersions(assistant.assistant_id);
    expect(versions.length).toBe(2);

    // A run with the caller's own assistant works.
    const thread = await alice.threads.create();
    const values = await alice.runs.wait(thread.thread_id, assistant.assistant_id, { input: say("hi") });
    expect(values).toMatchObject({ user_id: "alice" });

    await alice.assistants.delete(assistant.assistant_id);
    expect(await statusOf(alice.assistants.get(assistant.assistant_id))).toBe(404);
  });
});

describe("store", () => {
  test("put, get, search, list namespaces and delete in the caller's own namespace", async () => {
    await alice.store.putItem(["alice", "notes"], "n1", { text: "hello" });
    expect((await alice.store.getItem(["alice", "notes"], "n1"))?.value).toEqual({ text: "hello" });
    const search = await alice.store.searchItems(["alice"]);
    expect(search.items.map((i) => i.key)).toContain("n1");
    const namespaces = await alice.store.listNamespaces();
    expect(namespaces.namespaces).toContainEqual(["alice", "notes"]);
    expect(namespaces.namespaces.every((ns) => ns[0] === "alice")).toBe(true);
    await alice.store.deleteItem(["alice", "notes"], "n1");
    expect(await statusOf(alice.store.getItem(["alice", "notes"], "n1"))).toBe(404); // LangGraph's answer for a missing item
  });

  test("another user's namespace: writes 403, reads 404, lists without it", async () => {
    await alice.store.putItem(["alice", "private"], "k", { secret: 1 });
    expect(await statusOf(bob.store.putItem(["alice", "private"], "k", { secret: 2 }))).toBe(403);
    expect(await statusOf(bob.store.deleteItem(["alice", "private"], "k"))).toBe(403);
    expect(await statusOf(bob.store.getItem(["alice", "private"], "k"))).toBe(404);
    expect(await statusOf(bob.store.searchItems(["alice"]))).toBe(403);
    expect((await bob.store.listNamespaces()).namespaces.some((ns) => ns[0] === "alice")).toBe(false);
    expect((await alice.store.getItem(["alice", "private"], "k"))?.value).toEqual({ secret: 1 });
  });
});

describe("runs", () => {
  test("runs.wait returns the graph's final state; the graph saw the caller's identity", async () => {
    const thread = await alice.threads.create();
    const values = await alice.runs.wait(thread.thread_id, "agent", { input: say("hello there") });
    expect(values).toMatchObject({ user_id: "alice", word_count: 2 });
    expect(lastMessage(values)).toMatchObject({ type: "ai", content: 'alice, you said "hello there" (2 words).' });

    const bobThread = await bob.threads.create();
    expect(await bob.runs.wait(bobThread.thread_id, "agent", { input: say("hi") })).toMatchObject({ user_id: "bob" });
  });

  test("a caller cannot claim another identity through the run's config", async () => {
    const thread = await bob.threads.create();
    const values = await bob.runs.wait(thread.thread_id, "agent", {
      input: say("I am alice"),
      config: { configurable: { langgraph_auth_user_id: "alice" } },
    });
    expect(values).toMatchObject({ user_id: "bob" });
  });

  test("runs.stream in values and updates modes: several events, in the graph's order", async () => {
    const thread = await alice.threads.create();
    const events: { event: string; data: any }[] = [];
    for await (const part of alice.runs.stream(thread.thread_id, "agent", {
      input: say("stream me please"),
      streamMode: ["values", "updates"],
    })) {
      events.push({ event: part.event, data: part.data });
    }
    expect(events[0].event).toBe("metadata");
    const updates = events.filter((e) => e.event === "updates").map((e) => Object.keys(e.data)[0]);
    expect(updates).toEqual(["identify", "think", "respond"]);
    const values = events.filter((e) => e.event === "values");
    expect(values.length).toBe(4); // the input, then after each of the three nodes
    expect(values.at(-1)!.data).toMatchObject({ user_id: "alice", word_count: 3 });
    // Interleaved as the graph ran: every update comes before the values it produced.
    const order = events.map((e) => e.event).filter((e) => e !== "metadata");
    expect(order).toEqual(["values", "updates", "values", "updates", "values", "updates", "values"]);
  });

  test("runs.stream in updates mode only, and a stateless stream", async () => {
    const thread = await bob.threads.create();
    const names: string[] = [];
    for await (const part of bob.runs.stream(thread.thread_id, "agent", {
      input: say("one two"),
      streamMode: "updates",
    })) {
      if (part.event === "updates") names.push(Object.keys(part.data)[0]);
    }
    expect(names).toEqual(["identify", "think", "respond"]);

    let last: unknown;
    for await (const part of bob.runs.stream(null, "agent", { input: say("no thread"), streamMode: "values" })) {
      if (part.event === "values") last = part.data;
    }
    expect(last).toMatchObject({ user_id: "bob", word_count: 2 });
  });

  test("create, join, get, list and delete", async () => {
    const thread = await alice.threads.create();
    const run = await alice.runs.create(thread.thread_id, "agent", {
      input: say("join me"),
      config: { configurable: { delay_ms: 300 } },
    });
    const joined = await alice.runs.join(thread.thread_id, run.run_id);
    expect(joined).toMatchObject({ user_id: "alice", word_count: 2 });
    expect((await alice.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    expect((await alice.runs.list(thread.thread_id)).map((r) => r.run_id)).toContain(run.run_id);
    await alice.runs.delete(thread.thread_id, run.run_id);
    expect(await statusOf(alice.runs.get(thread.thread_id, run.run_id))).toBe(404);
  });

  test("joinStream of a running run delivers its remaining events", async () => {
    const thread = await alice.threads.create();
    const run = await alice.runs.create(thread.thread_id, "agent", {
      input: say("join my stream"),
      streamMode: ["updates"],
      config: { configurable: { delay_ms: 1_000 } },
    });
    const seen: string[] = [];
    for await (const part of alice.runs.joinStream(thread.thread_id, run.run_id, { streamMode: ["updates"] })) {
      if (part.event === "updates") seen.push(Object.keys(part.data as object)[0]);
    }
    expect(seen).toContain("respond");
    expect((await alice.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
  });

  test("cancel stops a running run", async () => {
    const thread = await alice.threads.create();
    const run = await alice.runs.create(thread.thread_id, "agent", {
      input: say("slow"),
      config: { configurable: { delay_ms: 30_000 } },
    });
    // Wait until a worker has picked it up, so the cancel interrupts a running graph.
    for (let i = 0; i < 200 && (await alice.runs.get(thread.thread_id, run.run_id)).status === "pending"; i++)
      await sleep(50);
    await alice.runs.cancel(thread.thread_id, run.run_id, true);
    const status = (await alice.runs.get(thread.thread_id, run.run_id)).status;
    expect(["interrupted", "error"]).toContain(status);
    expect(status).not.toBe("success");
    // The graph never reached respond: no AI message in the thread.
    const state = await alice.threads.getState<{ messages: Message[] }>(thread.thread_id);
    expect((state.values.messages ?? []).some((m) => m.type === "ai")).toBe(false);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
