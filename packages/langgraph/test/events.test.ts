/**
 * The auth event of every route, checked against LangGraph's own JS server
 * (@langchain/langgraph-api, unmodified) running LangGraph's own custom auth
 * that records each event it raises: GATEWAY_ROUTES must name the event the
 * server raises first for that route.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import express from "express";
import { Auth } from "@gatehouse/express";
import { GATEWAY_ROUTES, langgraphGateway, type GatewayRoute } from "@gatehouse/langgraph";
import { startLangGraph, type LangGraphServer } from "./support/langgraph-server";
import { routePath } from "./support/route-path";

jest.setTimeout(600_000);

const eventsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-events-")), "events.jsonl");
let server: LangGraphServer;
let url: string;

beforeAll(async () => {
  server = await startLangGraph(eventsFile);
  url = server.url;
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(path.dirname(eventsFile), { recursive: true, force: true });
});

async function call(
  method: string,
  target: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<{ status: number; data: any }> {
  const res = await fetch(target.startsWith("http") ? target : url + target, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let data: any = text;
  try {
    data = JSON.parse(text);
  } catch {
    /* SSE or keep-alive bodies */
  }
  return { status: res.status, data };
}

function recordedWithKeys(): { event: string; keys: string[] }[] {
  if (!fs.existsSync(eventsFile)) return [];
  return fs
    .readFileSync(eventsFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** LangGraph's answer status and value keys for each route's first event, filled by the first test for the second. */
const langgraphKeys = new Map<string, string[]>();
const langgraphStatus = new Map<string, number>();
/** Fields only LangGraph's server can fill: the run id it is about to generate. */
const SERVER_ONLY = new Set(["run_id"]);

/** Routes whose answer waits for LangGraph's graph schema extraction: only their event is compared. */
const SLOW = new Set(["/assistants/:assistant_id/schemas"]);

// "enqueue": a run right after another on the same thread waits instead of racing it (422).
const RUN = { assistant_id: "agent", input: { steps: [] }, multitask_strategy: "enqueue" };

function bodyFor(route: GatewayRoute): unknown {
  const byPath: Record<string, unknown> = {
    "PATCH /threads/:thread_id": { metadata: { topic: "x" } },
    "POST /threads/:thread_id/state": { values: { steps: ["manual"] } },
    "POST /threads/:thread_id/state/checkpoint": { checkpoint: {} },
    "PATCH /assistants/:assistant_id": { metadata: { topic: "x" } },
    "POST /assistants/:assistant_id/latest": { version: 1 },
    "POST /assistants": { graph_id: "agent" },
    "POST /runs/batch": [RUN],
    "PUT /store/items": { namespace: ["ns"], key: "k", value: { v: 1 } },
    "DELETE /store/items": { namespace: ["ns"], key: "k" },
    "POST /store/items/search": { namespace_prefix: ["ns"] },
  };
  const key = `${route.method} ${route.path}`;
  if (key in byPath) return byPath[key];
  if (route.kind === "thread-run" || route.kind === "stateless-run") return RUN;
  return route.method === "GET" || route.method === "DELETE" ? undefined : {};
}

interface Seen {
  event: string;
  keys: string[];
}

/** Calls every non-public route once against `base`; returns the events each raised, in order. */
async function exercise(
  base: string,
  reset: () => void,
  read: () => Seen[],
): Promise<Map<GatewayRoute, { status: number; events: Seen[] }>> {
  const to = (method: string, p: string, body?: unknown) => call(method, base + p, body);
  const thread = (await to("POST", "/threads", {})).data.thread_id as string;
  const run = (await to("POST", `/threads/${thread}/runs`, RUN)).data.run_id as string;
  await to("GET", `/threads/${thread}/runs/${run}/join`);
  const state = (await to("GET", `/threads/${thread}/state`)).data;
  const checkpoint = state.checkpoint?.checkpoint_id as string;
  const assistant = (await to("POST", "/assistants", { graph_id: "agent" })).data.assistant_id as string;
  expect([thread, run, checkpoint, assistant].every((v) => typeof v === "string")).toBe(true);
  const ids = { thread, run, checkpoint, assistant };
  await to("PUT", "/store/items", { namespace: ["ns"], key: "k", value: { v: 1 } });

  // Deletes last (the thread last of all), so every other route finds its records.
  const order = (r: GatewayRoute) => (r.method !== "DELETE" ? 0 : r.path === "/threads/:thread_id" ? 2 : 1);
  const routes = GATEWAY_ROUTES.filter((r) => r.event !== null).sort((a, b) => order(a) - order(b));
  const results = new Map<GatewayRoute, { status: number; events: Seen[] }>();
  for (const route of routes) {
    let p = routePath(route.path, ids);
    if (route.path === "/store/items" && route.method === "GET") p += "?namespace=ns&key=k";
    reset();
    if (SLOW.has(route.path)) {
      // Static schema extraction can take minutes on a busy machine; the event is raised before it starts.
      await call(route.method, base + p, bodyFor(route), 3_000).catch(() => undefined);
      for (let waited = 0; read().length === 0 && waited < 60_000; waited += 100)
        await new Promise((r) => setTimeout(r, 100));
      results.set(route, { status: -1, events: read() });
      continue;
    }
    const { status } = await to(route.method, p, bodyFor(route)).catch((err: Error) => {
      throw new Error(`${route.method} ${route.path}: ${err.message}`);
    });
    results.set(route, { status, events: read() });
  }
  return results;
}

test("every route raises the auth event GATEWAY_ROUTES names for it, first", async () => {
  const results = await exercise("", () => fs.writeFileSync(eventsFile, ""), recordedWithKeys);
  const mismatches: string[] = [];
  const unchecked: string[] = [];
  for (const [route, { status, events }] of results) {
    if (events.length > 0) langgraphKeys.set(`${route.method} ${route.path}`, events[0].keys);
    langgraphStatus.set(`${route.method} ${route.path}`, status);
    if (events.length === 0) unchecked.push(`${route.method} ${route.path} (${status})`);
    else if (events[0].event !== route.event)
      mismatches.push(
        `${route.method} ${route.path}: server raised ${events.map((e) => e.event).join(", ")}; table says ${route.event}`,
      );
  }
  expect(mismatches).toEqual([]);
  // LangGraph's JS server does not implement crons (500 before any auth event); their
  // events follow LangGraph's Python server and the semantics. Nothing else may go unchecked.
  expect(unchecked.filter((r) => !r.includes("/crons"))).toEqual([]);
});

test("through the gateway, each route's handler sees the same event and the value fields LangGraph's handler sees", async () => {
  const seen: Seen[] = [];
  const auth = new Auth({ unhandled: "allow" })
    .authenticate(() => "recorder")
    .on("*", ({ event, value }) => {
      seen.push({ event, keys: Object.keys(value).sort() });
    });
  const gateway = langgraphGateway({ auth, upstream: url });
  const app = express().use(gateway);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const results = await exercise(
      base,
      () => seen.splice(0),
      () => [...seen],
    );
    const problems: string[] = [];
    for (const [route, { status, events }] of results) {
      const name = `${route.method} ${route.path}`;
      if (route.path.includes("/crons")) continue;
      if (events[0]?.event !== route.event)
        problems.push(`${name}: gateway raised ${events.map((e) => e.event).join(", ") || "nothing"} (${status})`);
      if (status !== langgraphStatus.get(name))
        problems.push(`${name}: ${status} through the gateway, ${langgraphStatus.get(name)} direct`);
      const missing = (langgraphKeys.get(name) ?? []).filter(
        (k) => !SERVER_ONLY.has(k) && !events[0]?.keys.includes(k),
      );
      if (missing.length > 0) problems.push(`${name}: the handler's value lacks ${missing.join(", ")}`);
    }
    expect(problems).toEqual([]);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await gateway.close();
  }
});
