/**
 * Isolation through the gateway, on LangGraph's own server: bob tries every
 * mapped route on alice's thread, run, assistant and store items. Each answers
 * 404 like a missing record (403 for writes into her store namespace), searches
 * and counts never show her records, and afterwards LangGraph itself (asked
 * directly, without the gateway) still has all of them unchanged.
 * (LangGraph's JS server answers 500 "Not implemented" for crons, so crons are
 * covered by the library's tests against a stub, not here.)
 */
import type { Client } from "@langchain/langgraph-sdk";
import { call, startStack, type Stack } from "./support/stack";

jest.setTimeout(60_000);

let stack: Stack;
let alice: Client;
let direct: Client;
let bobToken: string;
let aliceToken: string;

let threadId: string;
let runId: string;
let checkpointId: string;
let assistantId: string;
let before: {
  thread: unknown;
  state: unknown;
  runs: string[];
  assistant: unknown;
  versions: number;
  item: unknown;
  history: number;
};

const say = (content: string) => ({ messages: [{ role: "user", content }] });

async function snapshot() {
  const thread = await direct.threads.get(threadId);
  const state = await direct.threads.getState(threadId);
  const runs = (await direct.runs.list(threadId)).map((r) => `${r.run_id}:${r.status}`).sort();
  const assistant = await direct.assistants.get(assistantId);
  const versions = (await direct.assistants.getVersions(assistantId)).length;
  const item = (await direct.store.getItem(["alice", "notes"], "n1"))?.value;
  const history = (await direct.threads.getHistory(threadId, { limit: 100 })).length;
  return { thread, state: state.values, runs, assistant, versions, item, history };
}

beforeAll(async () => {
  stack = await startStack();
  alice = stack.client("alice");
  direct = stack.direct();
  aliceToken = stack.token("alice");
  bobToken = stack.token("bob");

  const thread = await alice.threads.create({ metadata: { topic: "secret" } });
  threadId = thread.thread_id;
  const run = await alice.runs.create(threadId, "agent", { input: say("alice's words") });
  runId = run.run_id;
  await alice.runs.join(threadId, runId);
  checkpointId = (await alice.threads.getState(threadId)).checkpoint.checkpoint_id!;
  const assistant = await alice.assistants.create({ graphId: "agent", name: "alice's", metadata: { topic: "secret" } });
  assistantId = assistant.assistant_id;
  await alice.store.putItem(["alice", "notes"], "n1", { text: "alice's note" });
  before = await snapshot();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

/**
 * Every by-id route of alice's records, as bob tries it: [method, path, body or null],
 * with :thread, :run, :checkpoint and :assistant filled in once they exist.
 */
const BY_ID_ROUTES: [string, string, unknown][] = [
  ["GET", "/threads/:thread", null],
  ["PATCH", "/threads/:thread", { metadata: { owner: "bob", topic: "taken" } }],
  ["DELETE", "/threads/:thread", null],
  ["POST", "/threads/:thread/copy", {}],
  ["GET", "/threads/:thread/state", null],
  ["GET", "/threads/:thread/state/:checkpoint", null],
  ["POST", "/threads/:thread/state", { values: { user_id: "bob" } }],
  ["POST", "/threads/:thread/state/checkpoint", { checkpoint: { checkpoint_id: ":checkpoint" } }],
  ["GET", "/threads/:thread/history", null],
  ["POST", "/threads/:thread/history", { limit: 10 }],
  ["POST", "/threads/:thread/runs", { assistant_id: "agent", input: say("bob was here") }],
  ["POST", "/threads/:thread/runs/stream", { assistant_id: "agent", input: say("bob was here") }],
  ["POST", "/threads/:thread/runs/wait", { assistant_id: "agent", input: say("bob was here") }],
  ["GET", "/threads/:thread/runs", null],
  ["GET", "/threads/:thread/runs/:run", null],
  ["GET", "/threads/:thread/runs/:run/join", null],
  ["GET", "/threads/:thread/runs/:run/stream", null],
  ["POST", "/threads/:thread/runs/:run/cancel", null],
  ["DELETE", "/threads/:thread/runs/:run", null],
  ["GET", "/assistants/:assistant", null],
  ["PATCH", "/assistants/:assistant", { name: "bob's now", metadata: { owner: "bob" } }],
  ["DELETE", "/assistants/:assistant", null],
  ["GET", "/assistants/:assistant/graph", null],
  ["GET", "/assistants/:assistant/schemas", null],
  ["GET", "/assistants/:assistant/subgraphs", null],
  ["POST", "/assistants/:assistant/versions", {}],
  ["POST", "/assistants/:assistant/latest", { version: 1 }],
];

function fill<T>(value: T): T {
  const text = JSON.stringify(value)
    .replaceAll(":thread", threadId)
    .replaceAll(":run", runId)
    .replaceAll(":checkpoint", checkpointId)
    .replaceAll(":assistant", assistantId);
  return JSON.parse(text) as T;
}

describe("bob on alice's records", () => {
  test.each(BY_ID_ROUTES)("%s %s answers 404", async (method, template, bodyTemplate) => {
    const path = fill(template);
    const body = bodyTemplate === null ? undefined : fill(bodyTemplate);
    const res = await call(stack.gateway.url, bobToken, method, path, body);
    expect([method, path, res.status]).toEqual([method, path, 404]);
    expect(JSON.stringify(res.body ?? "")).not.toContain("alice's");
  });

  test("creating a record with alice's id is a conflict, not a takeover", async () => {
    expect(
      (await call(stack.gateway.url, bobToken, "POST", "/threads", { thread_id: threadId, if_exists: "do_nothing" }))
        .status,
    ).toBe(409);
    expect(
      (
        await call(stack.gateway.url, bobToken, "POST", "/assistants", {
          assistant_id: assistantId,
          graph_id: "agent",
          if_exists: "do_nothing",
        })
      ).status,
    ).toBe(409);
  });

  test("searches and counts never show alice's records, even when asked for them", async () => {
    for (const body of [{}, { metadata: { topic: "secret" } }, { metadata: { owner: "alice" } }]) {
      const threads = await call(stack.gateway.url, bobToken, "POST", "/threads/search", body);
      expect(threads.status).toBe(200);
      expect((threads.body as { thread_id: string }[]).map((t) => t.thread_id)).not.toContain(threadId);
      const assistants = await call(stack.gateway.url, bobToken, "POST", "/assistants/search", body);
      expect(assistants.status).toBe(200);
      expect((assistants.body as { assistant_id: string }[]).map((a) => a.assistant_id)).not.toContain(assistantId);
      expect((await call(stack.gateway.url, bobToken, "POST", "/threads/count", body)).body).toBe(0);
      expect((await call(stack.gateway.url, bobToken, "POST", "/assistants/count", body)).body).toBe(0);
    }
    // alice, asking for bob's owner, gets nothing either (the filters contradict: no upstream call needed).
    const contradiction = await call(stack.gateway.url, aliceToken, "POST", "/threads/search", {
      metadata: { owner: "bob" },
    });
    expect(contradiction).toMatchObject({ status: 200, body: [] });
  });

  test("store: writes into alice's namespace are 403, reads 404, listings leave it out", async () => {
    const gw = stack.gateway.url;
    expect(
      (
        await call(gw, bobToken, "PUT", "/store/items", {
          namespace: ["alice", "notes"],
          key: "n1",
          value: { text: "bob's" },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call(gw, bobToken, "DELETE", "/store/items", { namespace: ["alice", "notes"], key: "n1" })).status,
    ).toBe(403);
    expect((await call(gw, bobToken, "GET", "/store/items?namespace=alice.notes&key=n1")).status).toBe(404);
    expect((await call(gw, bobToken, "POST", "/store/items/search", { namespace_prefix: ["alice"] })).status).toBe(403);
    const namespaces = await call(gw, bobToken, "POST", "/store/namespaces", {});
    expect(namespaces.status).toBe(200);
    expect(JSON.stringify(namespaces.body)).not.toContain("alice");
  });

  test("a route the gateway does not map is refused, never forwarded (LangGraph's /internal/truncate would wipe everything)", async () => {
    const res = await call(stack.gateway.url, aliceToken, "POST", "/internal/truncate", {
      threads: true,
      assistants: true,
      runs: true,
      store: true,
      checkpointer: true,
    });
    expect([403, 404]).toContain(res.status);
  });

  test("without a token: 401 with a Bearer challenge; /ok, /info and /health are public", async () => {
    const res = await call(stack.gateway.url, undefined, "GET", `/threads/${threadId}`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    for (const path of ["/ok", "/info", "/health"])
      expect([path, (await call(stack.gateway.url, undefined, "GET", path)).status]).toEqual([path, 200]);
  });

  test("afterwards, LangGraph itself still has every one of alice's records, unchanged", async () => {
    expect(await snapshot()).toEqual(before);
    expect((before.thread as { metadata: unknown }).metadata).toMatchObject({ topic: "secret", owner: "alice" });
    expect(before.state).toMatchObject({ user_id: "alice" });
  });
});
