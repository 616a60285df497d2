/**
 * Streaming runs end to end: @gatehouse/client against this server (PGlite in
 * memory, 127.0.0.1:0). Events carry ids and the stream names its run in
 * `Content-Location`; the join route replays after `Last-Event-ID` under the
 * thread's authorization (another user's run is a 404); and through a proxy
 * that cuts the first stream after its first event, the client resumes via the
 * join route with a freshly read token and delivers every part exactly once.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import jwt from "jsonwebtoken";
import { bearer, createClient, NotFoundError, type StreamPart } from "@gatehouse/client";
import { ALL_SCOPES, mintToken } from "../src/tokens";
import { forward } from "./support/cutting-proxy";
import { call, SECRET, token, useMemoryServer } from "./support/server";

jest.setTimeout(60_000);

const env = useMemoryServer();

const input = { messages: [{ role: "user", content: "What is my refund?" }] };

async function collect(iterable: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const part of iterable) out.push(part);
  return out;
}

/** A token unique per call (a `jti`), so the test can tell which attempt sent which. */
let minted = 0;
function uniqueToken(identity: string): string {
  return jwt.sign({ scopes: [...ALL_SCOPES], jti: String(++minted) }, SECRET, {
    algorithm: "HS256",
    subject: identity,
    expiresIn: "1h",
  });
}

test("POST /threads/:id/runs/stream: parts in order with ids, the run named in Content-Location", async () => {
  const alice = createClient({ baseURL: env.server.url, credentials: bearer(token("alice")) });
  const thread = await alice.threads.create({ metadata: { topic: "stream" } });
  const parts = await collect(
    alice.runs.stream(thread.thread_id, { assistant_id: "echo", input, stream_mode: ["updates", "values"] }),
  );
  expect(parts.map((p) => [p.id, p.event])).toEqual([
    ["0", "metadata"],
    ["1", "updates"],
    ["2", "values"],
  ]);
  const runId = (parts[0].data as { run_id: string }).run_id;
  expect(parts[0].data).toEqual({ run_id: runId, thread_id: thread.thread_id, attempt: 1 });
  expect(
    (parts[2].data as { messages: Array<{ content: string; type: string }> }).messages.map(
      (m) => `${m.type}: ${m.content}`,
    ),
  ).toEqual(["human: What is my refund?", "ai: What is my refund?"]);

  const raw = await fetch(`${env.server.url}/threads/${thread.thread_id}/runs/stream`, {
    method: "POST",
    headers: { authorization: `Bearer ${token("alice")}`, "content-type": "application/json" },
    body: JSON.stringify({ assistant_id: "echo", input }),
  });
  const text = await raw.text();
  expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
  expect(raw.headers.get("content-location")).toMatch(new RegExp(`^/threads/${thread.thread_id}/runs/[0-9a-f-]{36}$`));
  expect(text).toMatch(/^id: 0\nevent: metadata\ndata: /);
});

test("threads.state after a streamed run: the values the stream ended with", async () => {
  const alice = createClient({ baseURL: env.server.url, credentials: bearer(token("alice")) });
  const thread = await alice.threads.create();
  const parts = await collect(alice.runs.stream(thread.thread_id, { assistant_id: "echo", input }));
  const state = await alice.threads.state<{ messages: unknown[] }>(thread.thread_id);
  expect(state.values).toEqual(parts.at(-1)!.data);
  expect(state.values.messages).toHaveLength(2);
});

test("POST /runs/stream: a stateless run streams without storing a thread", async () => {
  const alice = createClient({ baseURL: env.server.url, credentials: bearer(token("alice")) });
  const before = (await alice.threads.search({ limit: 1000 })).length;
  const parts = await collect(alice.runs.stream(null, { assistant_id: "echo", input }));
  expect(parts.map((p) => [p.id, p.event])).toEqual([
    ["0", "metadata"],
    ["1", "values"],
  ]);
  expect((await alice.threads.search({ limit: 1000 })).length).toBe(before);
});

test("GET /threads/:id/runs/:run_id/stream replays after Last-Event-ID; another user's run is a 404", async () => {
  const alice = createClient({ baseURL: env.server.url, credentials: bearer(token("alice")) });
  const bob = createClient({ baseURL: env.server.url, credentials: bearer(token("bob")) });
  const thread = await alice.threads.create();
  const first = await collect(
    alice.runs.stream(thread.thread_id, { assistant_id: "echo", input, stream_mode: ["updates", "values"] }),
  );
  const runId = (first[0].data as { run_id: string }).run_id;

  expect(await collect(alice.runs.joinStream(thread.thread_id, runId))).toEqual(first);
  expect(await collect(alice.runs.joinStream(thread.thread_id, runId, { lastEventId: "0" }))).toEqual(first.slice(1));
  expect(await collect(alice.runs.joinStream(thread.thread_id, runId, { lastEventId: "2" }))).toEqual([]);

  const err = await collect(bob.runs.joinStream(thread.thread_id, runId)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotFoundError);
  const bad = await call(env.server.url, "GET", `/threads/${thread.thread_id}/runs/${runId}/stream`, {
    token: token("alice"),
    headers: { "last-event-id": "not-an-id" },
  });
  expect(bad.status).toBe(400);
});

describe("through a proxy that cuts the first stream after its first event", () => {
  let proxy: http.Server;
  let proxyUrl: string;
  const seen: Array<{ method: string; url: string; lastEventId?: string; authorization?: string }> = [];
  let drop: (() => void) | undefined;

  beforeAll(async () => {
    proxy = http.createServer((req, res) => {
      seen.push({
        method: req.method!,
        url: req.url!,
        lastEventId: req.headers["last-event-id"] as string | undefined,
        authorization: req.headers.authorization,
      });
      const cut =
        req.method === "POST" &&
        req.url!.endsWith("/runs/stream") &&
        seen.filter((s) => s.method === "POST").length === 1;
      forward(req, res, env.server.url, cut ? { onFirstEvent: (dropNow) => (drop = dropNow) } : undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  );

  test("the client resumes through the join route: every part once, a fresh token on the reconnection", async () => {
    const alice = createClient({ baseURL: proxyUrl, credentials: bearer(() => uniqueToken("alice")) });
    const thread = await alice.threads.create();
    seen.length = 0;
    drop = undefined;
    const parts: StreamPart[] = [];
    for await (const part of alice.runs.stream(
      thread.thread_id,
      { assistant_id: "echo", input, stream_mode: ["updates", "values"] },
      { reconnect: { baseDelay: 10 } },
    )) {
      parts.push(part);
      if (parts.length === 1) drop!(); // the network fails once the client has the first event
    }
    expect(parts.map((p) => [p.id, p.event])).toEqual([
      ["0", "metadata"],
      ["1", "updates"],
      ["2", "values"],
    ]);
    const runId = (parts[0].data as { run_id: string }).run_id;
    expect(seen.map((s) => `${s.method} ${s.url} ${s.lastEventId ?? "-"}`)).toEqual([
      `POST /threads/${thread.thread_id}/runs/stream -`,
      `GET /threads/${thread.thread_id}/runs/${runId}/stream 0`,
    ]);
    expect(seen[0].authorization).not.toBe(seen[1].authorization);
  });

  test("an expired token at connect: one refresh, then the stream", async () => {
    let refreshes = 0;
    let current = mintToken(SECRET, "alice", { expiresIn: -60 });
    const alice = createClient({
      baseURL: env.server.url,
      credentials: bearer(() => current),
      refreshMargin: 0, // not ahead of expiry: the 401 at connect is what triggers the refresh here
      refresh: () => {
        refreshes++;
        current = uniqueToken("alice");
      },
    });
    const thread = await createClient({
      baseURL: env.server.url,
      credentials: bearer(token("alice")),
    }).threads.create();
    const parts = await collect(alice.runs.stream(thread.thread_id, { assistant_id: "echo", input }));
    expect(parts.map((p) => p.event)).toEqual(["metadata", "values"]);
    expect(refreshes).toBe(1);
  });
});
