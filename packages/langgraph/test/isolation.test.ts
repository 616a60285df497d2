/**
 * Isolation through the gateway in front of LangGraph's own JS server
 * (unmodified, no auth of its own): as bob, every route on alice's records is
 * a 404 (store writes 403), and ids or checkpoints smuggled in through bob's
 * own thread never reach alice's data.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { GATEWAY_ROUTES, type GatewayRouter } from "@gatehouse/langgraph";
import { alice, bob, gatewayApp } from "./fixture";
import { startLangGraph, type LangGraphServer } from "./support/langgraph-server";
import { routePath } from "./support/route-path";

jest.setTimeout(600_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-isolation-"));
let langgraph: LangGraphServer;
let gateway: GatewayRouter;
let server: Server;
let base: string;

beforeAll(async () => {
  langgraph = await startLangGraph(path.join(dir, "events.jsonl"));
  const built = gatewayApp({ upstream: langgraph.url });
  gateway = built.gateway;
  server = built.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await gateway.close();
  await langgraph.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function as(
  user: Record<string, string>,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; text: string; data: any }> {
  const res = await fetch(base + p, {
    method,
    headers: { ...user, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let data: any;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  return { status: res.status, text, data };
}

const RUN = { assistant_id: "agent", input: { steps: ["alice-secret"] }, multitask_strategy: "enqueue" };

test("bob reaches none of alice's records, on any route, and nothing of hers changes", async () => {
  const thread = (await as(alice, "POST", "/threads", { metadata: { topic: "private" } })).data.thread_id as string;
  const wait = await as(alice, "POST", `/threads/${thread}/runs/wait`, RUN);
  expect(wait.text).toContain("alice-secret");
  const run = (await as(alice, "GET", `/threads/${thread}/runs`)).data[0].run_id as string;
  const checkpoint = (await as(alice, "GET", `/threads/${thread}/state`)).data.checkpoint.checkpoint_id as string;
  const assistant = (await as(alice, "POST", "/assistants", { graph_id: "agent", name: "alice's" })).data
    .assistant_id as string;
  await as(alice, "PUT", "/store/items", { namespace: ["alice", "notes"], key: "n1", value: { text: "alice-secret" } });
  const ids = { thread, run, checkpoint, assistant };

  const leaks: string[] = [];
  for (const route of GATEWAY_ROUTES) {
    if (!/:thread_id|:assistant_id/.test(route.path) || route.path.includes("/crons")) continue;
    const p = routePath(route.path, ids);
    const body =
      route.method === "GET" || route.method === "DELETE"
        ? undefined
        : route.kind === "thread-run"
          ? RUN
          : route.path.endsWith("/latest")
            ? { version: 1 }
            : {};
    const res = await as(bob, route.method, p, body);
    if (res.status !== 404 || res.text.includes("alice-secret"))
      leaks.push(`${route.method} ${route.path}: ${res.status} ${res.text.slice(0, 80)}`);
  }
  const store = [
    await as(bob, "GET", "/store/items?namespace=alice.notes&key=n1"),
    await as(bob, "PUT", "/store/items", { namespace: ["alice", "notes"], key: "n1", value: { text: "bob" } }),
    await as(bob, "DELETE", "/store/items", { namespace: ["alice", "notes"], key: "n1" }),
    await as(bob, "POST", "/store/items/search", {}),
  ];
  expect(store.map((r) => r.status)).toEqual([404, 403, 403, 200]);
  expect(store[3].data.items).toEqual([]);
  expect(leaks).toEqual([]);

  const searches = await Promise.all([
    as(bob, "POST", "/threads/search", {}),
    as(bob, "POST", "/assistants/search", { metadata: { owner: "alice" } }),
  ]);
  expect(searches.map((r) => r.data)).toEqual([[], []]);
  expect((await as(bob, "POST", "/threads/count", {})).data).toBe(0);

  // Nothing of alice's changed.
  const after = await as(alice, "GET", `/threads/${thread}`);
  expect(after.data.metadata).toEqual({
    topic: "private",
    owner: "alice",
    graph_id: "agent",
    assistant_id: expect.any(String),
  });
  expect((await as(alice, "GET", `/threads/${thread}/state`)).text).toContain("alice-secret");
  expect((await as(alice, "GET", `/assistants/${assistant}`)).status).toBe(200);
  expect((await as(alice, "GET", "/store/items?namespace=alice.notes&key=n1")).data.value).toEqual({
    text: "alice-secret",
  });
});

test("ids and checkpoints of alice's thread smuggled through bob's own thread are refused", async () => {
  const aliceThread = (await as(alice, "POST", "/threads", {})).data.thread_id as string;
  await as(alice, "POST", `/threads/${aliceThread}/runs/wait`, RUN);
  const aliceRun = (await as(alice, "GET", `/threads/${aliceThread}/runs`)).data[0].run_id as string;
  const bobThread = (await as(bob, "POST", "/threads", {})).data.thread_id as string;
  await as(bob, "POST", `/threads/${bobThread}/runs/wait`, { ...RUN, input: { steps: ["bob"] } });

  const smuggled = [
    await as(bob, "GET", `/threads/${bobThread}/runs/${aliceRun}`),
    await as(bob, "GET", `/threads/${bobThread}/runs/${aliceRun}/join`),
    await as(bob, "GET", `/threads/${bobThread}/runs/${aliceRun}/stream`),
    await as(bob, "POST", `/threads/${bobThread}/state/checkpoint`, { checkpoint: { thread_id: aliceThread } }),
    await as(bob, "POST", `/threads/${bobThread}/history`, { checkpoint: { thread_id: aliceThread } }),
    await as(bob, "POST", `/threads/${bobThread}/state`, {
      values: { steps: ["bob-was-here"] },
      checkpoint: { thread_id: aliceThread },
    }),
  ];
  for (const res of smuggled) {
    expect(res.text).not.toContain("alice-secret");
    expect([400, 404]).toContain(res.status);
  }
  expect((await as(alice, "GET", `/threads/${aliceThread}/state`)).text).not.toContain("bob-was-here");
});
