/**
 * Streaming runs against a real SSE server on 127.0.0.1: parts parsed by
 * eventsource-parser, a connection dropped mid-stream resumed through the join
 * route with Last-Event-ID (fresh credentials each time, no part twice, none
 * lost), a 401 before the first byte refreshed once, and an abort or a `break`
 * closing the server-side request.
 */
import type http from "node:http";
import {
  AbortError,
  bearer,
  createClient,
  NetworkError,
  NotFoundError,
  TimeoutError,
  UnauthorizedError,
  type StreamPart,
} from "@gatehouse/client";
import { deferred, json, startServer, type TestServer } from "./helpers/server";

const THREAD = "t-1";
const RUN = "r-1";
const EVENTS = [
  { event: "metadata", data: { run_id: RUN, thread_id: THREAD } },
  { event: "values", data: { messages: ["hi"] } },
  { event: "updates", data: { echo: { messages: ["hi", "hi"] } } },
  { event: "values", data: { messages: ["hi", "hi"] } },
  { event: "custom", data: "plain text, not JSON" },
];

let server: TestServer;
/** Requests whose connection the server saw close, by url. */
let closed: string[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
/**
 * Drops the first POST's connection after its `dropAfter` frames; the test calls it once the client
 * has taken them (a stream that errors discards what its reader has not read yet, so a drop on a
 * timer would race the client on a busy machine).
 */
let dropFirst: (() => void) | undefined;

beforeEach(() => {
  server.received.length = 0;
  closed = [];
  dropFirst = undefined;
});

function frame(i: number): string {
  const e = EVENTS[i];
  return `id: ${i}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

function startSse(res: http.ServerResponse, raw: http.IncomingMessage, headers: Record<string, string> = {}) {
  raw.on("close", () => closed.push(raw.url ?? ""));
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", ...headers });
  res.flushHeaders();
}

/** The events after Last-Event-ID; `dropAfter`: the first POST sends that many frames, then waits for {@link dropFirst}. */
function sseServer(options: { dropAfter?: number; joinDrops?: boolean; token?: (n: number) => string } = {}) {
  server.handle((req, res, raw) => {
    const last = req.headers["last-event-id"];
    const from = last === undefined ? 0 : Number(last) + 1;
    if (req.method === "POST" && req.url === `/threads/${THREAD}/runs/stream`) {
      startSse(res, raw, { "content-location": `/threads/${THREAD}/runs/${RUN}` });
      const upTo = options.dropAfter ?? EVENTS.length;
      for (let i = 0; i < upTo; i++) res.write(frame(i));
      if (options.dropAfter !== undefined) dropFirst = () => raw.socket.destroy();
      else res.end();
      return;
    }
    if (req.method === "GET" && req.url === `/threads/${THREAD}/runs/${RUN}/stream`) {
      startSse(res, raw, { "content-location": `/threads/${THREAD}/runs/${RUN}` });
      if (options.joinDrops) return void setTimeout(() => raw.socket.destroy(), 20);
      for (let i = from; i < EVENTS.length; i++) res.write(frame(i));
      return void res.end();
    }
    json(res, 404, { error: "not_found", message: "no such route" });
  });
}

async function collect(iterable: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const part of iterable) out.push(part);
  return out;
}

/** Collects a stream into `out`, dropping the first connection once the client has taken `after` parts. */
async function collectDropping(iterable: AsyncIterable<StreamPart>, after: number, out: StreamPart[] = []) {
  for await (const part of iterable) {
    out.push(part);
    if (out.length === after) dropFirst!();
  }
  return out;
}

const expected = EVENTS.map((e, i) => ({ ...e, id: String(i) }));

test("parses every part: event, JSON data (or the raw text), id", async () => {
  sseServer();
  const client = createClient({ baseURL: server.url, credentials: bearer("tok") });
  const parts = await collect(client.runs.stream(THREAD, { assistant_id: "agent", input: { messages: ["hi"] } }));
  expect(parts).toEqual(expected);
  expect(server.received).toHaveLength(1);
  expect(server.received[0]).toMatchObject({
    method: "POST",
    url: `/threads/${THREAD}/runs/stream`,
    body: { assistant_id: "agent", input: { messages: ["hi"] } },
  });
  expect(server.received[0].headers).toMatchObject({
    authorization: "Bearer tok",
    accept: "text/event-stream",
    "content-type": "application/json",
  });
});

test("a drop mid-stream resumes through the join route with Last-Event-ID: no part twice, none lost, a fresh credential", async () => {
  sseServer({ dropAfter: 2 });
  let reads = 0;
  const client = createClient({ baseURL: server.url, credentials: bearer(() => `tok-${++reads}`) });
  const parts = await collectDropping(
    client.runs.stream(THREAD, { assistant_id: "agent" }, { reconnect: { baseDelay: 5 } }),
    2,
  );
  expect(parts).toEqual(expected);
  expect(server.received.map((r) => `${r.method} ${r.url} ${String(r.headers["last-event-id"] ?? "-")}`)).toEqual([
    `POST /threads/${THREAD}/runs/stream -`,
    `GET /threads/${THREAD}/runs/${RUN}/stream 1`,
  ]);
  const tokens = server.received.map((r) => r.headers.authorization);
  expect(new Set(tokens).size).toBe(2); // read afresh for the reconnection
});

test("a server that replays what was already delivered: the client still delivers each id once", async () => {
  server.handle((req, res, raw) => {
    startSse(res, raw, { "content-location": `/threads/${THREAD}/runs/${RUN}` });
    if (req.method === "POST") {
      for (let i = 0; i < 3; i++) res.write(frame(i));
      return void setTimeout(() => raw.socket.destroy(), 20);
    }
    for (let i = 0; i < EVENTS.length; i++) res.write(frame(i)); // ignores Last-Event-ID
    res.end();
  });
  const client = createClient({ baseURL: server.url });
  expect(await collect(client.runs.stream(THREAD, { assistant_id: "agent" }, { reconnect: { baseDelay: 5 } }))).toEqual(
    expected,
  );
});

test("reconnections are bounded: a join that keeps dropping ends in NetworkError", async () => {
  sseServer({ dropAfter: 1, joinDrops: true });
  const client = createClient({ baseURL: server.url });
  const parts: StreamPart[] = [];
  const err: unknown = await collectDropping(
    client.runs.stream(THREAD, { assistant_id: "agent" }, { reconnect: { limit: 3, baseDelay: 5 } }),
    1,
    parts,
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NetworkError);
  expect((err as Error).message).toMatch(/gave up after 3 reconnection/);
  expect(parts).toEqual(expected.slice(0, 1));
  expect(server.received.filter((r) => r.method === "GET")).toHaveLength(3);
});

test("joinStream resumes after lastEventId", async () => {
  sseServer();
  const client = createClient({ baseURL: server.url });
  const parts = await collect(client.runs.joinStream(THREAD, RUN, { lastEventId: "2" }));
  expect(parts).toEqual(expected.slice(3));
  expect(server.received[0].headers["last-event-id"]).toBe("2");
});

test("a 401 before the first byte: one refresh, then the stream with the new credential", async () => {
  const session = { token: "stale", refreshes: 0 };
  server.handle((req, res, raw) => {
    if (req.headers.authorization !== "Bearer fresh") {
      return json(
        res,
        401,
        { error: "invalid_token", message: "jwt expired" },
        { "www-authenticate": 'Bearer error="invalid_token"' },
      );
    }
    startSse(res, raw);
    res.end(frame(0) + frame(1));
  });
  const client = createClient({
    baseURL: server.url,
    credentials: bearer(() => session.token),
    refresh: () => {
      session.refreshes++;
      session.token = "fresh";
    },
  });
  const parts = await collect(client.runs.stream(THREAD, { assistant_id: "agent" }));
  expect(parts).toEqual(expected.slice(0, 2));
  expect(session.refreshes).toBe(1);
  expect(server.received.map((r) => r.headers.authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
});

test("a 401 that survives the refresh is an UnauthorizedError with the server's code", async () => {
  server.handle((_req, res) => json(res, 401, { error: "invalid_token", message: "jwt expired" }));
  let refreshes = 0;
  const client = createClient({ baseURL: server.url, credentials: bearer("x"), refresh: () => void refreshes++ });
  const err = await collect(client.runs.stream(THREAD, { assistant_id: "agent" })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnauthorizedError);
  expect(err).toMatchObject({ code: "invalid_token", status: 401 });
  expect(refreshes).toBe(1);
  expect(server.received).toHaveLength(2);
});

test("an HTTP error at connect is typed and not retried as a reconnection", async () => {
  server.handle((_req, res) => json(res, 404, { error: "not_found", message: "Thread t-1 not found" }));
  const client = createClient({ baseURL: server.url });
  const err = await collect(client.runs.stream(THREAD, { assistant_id: "agent" })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotFoundError);
  expect(err).toMatchObject({ code: "not_found", message: "Thread t-1 not found" });
  expect(server.received).toHaveLength(1);
});

test("the stateless route: POST /runs/stream", async () => {
  server.handle((_req, res, raw) => {
    startSse(res, raw);
    res.end(frame(1));
  });
  const client = createClient({ baseURL: server.url });
  expect(await collect(client.runs.stream(null, { assistant_id: "agent" }))).toEqual([expected[1]]);
  expect(server.received[0]).toMatchObject({ method: "POST", url: "/runs/stream" });
});

test("break closes the HTTP request", async () => {
  const open = deferred();
  server.handle((_req, res, raw) => {
    startSse(res, raw);
    res.write(frame(0));
    open.resolve();
  });
  const client = createClient({ baseURL: server.url });
  for await (const part of client.runs.stream(THREAD, { assistant_id: "agent" })) {
    expect(part.event).toBe("metadata");
    break;
  }
  await open.promise;
  await waitFor(() => closed.length === 1);
  expect(closed).toEqual([`/threads/${THREAD}/runs/stream`]);
});

test("an AbortSignal closes the HTTP request and rejects with AbortError", async () => {
  server.handle((_req, res, raw) => {
    startSse(res, raw);
    res.write(frame(0));
  });
  const ac = new AbortController();
  const client = createClient({ baseURL: server.url });
  const parts: StreamPart[] = [];
  const err = await (async () => {
    for await (const part of client.runs.stream(THREAD, { assistant_id: "agent" }, { signal: ac.signal })) {
      parts.push(part);
      ac.abort(new Error("user left"));
    }
  })().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AbortError);
  expect(parts).toHaveLength(1);
  await waitFor(() => closed.length === 1);
  expect(server.received).toHaveLength(1); // no reconnection after an abort
});

test("the timeout bounds the wait for the response to start", async () => {
  server.handle(() => undefined);
  const client = createClient({ baseURL: server.url, timeout: 50 });
  const err = await collect(client.runs.stream(THREAD, { assistant_id: "agent" })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TimeoutError);
});

test("nothing is sent until the iteration starts", async () => {
  const client = createClient({ baseURL: server.url });
  client.runs.stream(THREAD, { assistant_id: "agent" });
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(server.received).toHaveLength(0);
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
