/**
 * Retries: idempotent methods on 429, 502, 503, 504 and network errors, a
 * bounded number of times, after Retry-After (seconds or an HTTP date, capped)
 * or a backoff; POST only when the call opts in. Waits are checked with the
 * server's own arrival times (a lower bound), never with upper time limits.
 */
import { AbortError, createClient, HttpError, NetworkError, RateLimitError } from "@gatehouse/client";
import { json, startServer, type TestServer } from "./helpers/server";

let server: TestServer;
/** Server-side times: when each request arrived, and when each answer was sent. */
let arrived: number[] = [];
let answered: number[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
  arrived = [];
  answered = [];
});

/** Answers the i-th request with `script[i]` (the last entry repeats). */
function script(...steps: Array<[number, Record<string, string>?] | "drop">) {
  server.handle((_req, res, raw) => {
    arrived.push(Date.now());
    const step = steps[Math.min(arrived.length - 1, steps.length - 1)];
    if (step === "drop") return void raw.socket.destroy();
    const [status, headers = {}] = step;
    answered.push(Date.now());
    json(
      res,
      status,
      status < 400
        ? { ok: arrived.length }
        : { error: status === 429 ? "too_many_requests" : undefined, message: `status ${status}` },
      headers,
    );
  });
}

const fast = { limit: 2, baseDelay: 1, maxDelay: 20 };

test("429 with Retry-After: 1 waits a second (by the server's clock) before the one retry", async () => {
  script([429, { "retry-after": "1" }], [200]);
  const client = createClient({ baseURL: server.url });
  await expect(client.request({ url: "/x" })).resolves.toEqual({ ok: 2 });
  expect(server.received.map((r) => r.url)).toEqual(["/x", "/x"]);
  expect(arrived[1] - answered[0]).toBeGreaterThanOrEqual(990);
});

test("Retry-After as an HTTP date", async () => {
  const when = new Date(Date.now() + 2_000).toUTCString(); // whole seconds: between 1 and 2 s from now
  script([503, { "retry-after": when }], [200]);
  const client = createClient({ baseURL: server.url });
  await expect(client.request({ url: "/x" })).resolves.toEqual({ ok: 2 });
  expect(arrived[1]).toBeGreaterThanOrEqual(Date.parse(when) - 1_000);
});

test("a Retry-After beyond maxDelay is capped (an hour becomes 20 ms here)", async () => {
  script([429, { "retry-after": "3600" }], [200]);
  const client = createClient({ baseURL: server.url, retry: fast });
  await expect(client.request({ url: "/x" })).resolves.toEqual({ ok: 2 });
});

test.each([429, 502, 503, 504])("GET on %i: retried up to the limit, then the typed error", async (status) => {
  script([status]);
  const client = createClient({ baseURL: server.url, retry: fast });
  const err = await client.request({ url: "/x" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).status).toBe(status);
  expect(server.received).toHaveLength(3);
});

test.each(["HEAD", "PUT", "DELETE", "OPTIONS"])("%s is retried too", async (method) => {
  script([503], [200]);
  const client = createClient({ baseURL: server.url, retry: fast });
  await client.request({ method, url: "/x" });
  expect(server.received.map((r) => r.method)).toEqual([method, method]);
});

test("RateLimitError keeps retryAfter when the retries run out", async () => {
  script([429, { "retry-after": "0" }]);
  const client = createClient({ baseURL: server.url, retry: { limit: 1 } });
  const err = await client.request({ url: "/x" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RateLimitError);
  expect(err).toMatchObject({ retryAfter: 0, code: "too_many_requests", status: 429 });
  expect(server.received).toHaveLength(2);
});

test("POST is not retried, unless the call opts in", async () => {
  script([503], [200]);
  const client = createClient({ baseURL: server.url, retry: fast });
  await expect(client.threads.create({})).rejects.toMatchObject({ status: 503 });
  expect(server.received).toHaveLength(1);
  server.received.length = 0;
  arrived = [];
  await expect(client.threads.create({}, { retry: true })).resolves.toEqual({ ok: 2 });
  expect(server.received.map((r) => r.method)).toEqual(["POST", "POST"]);
});

test("PATCH is not retried either; retry: false turns a GET's retries off; a number sets the call's limit", async () => {
  script([503]);
  const client = createClient({ baseURL: server.url, retry: fast });
  await expect(client.threads.update("t", {})).rejects.toMatchObject({ status: 503 });
  expect(server.received).toHaveLength(1);
  await expect(client.threads.get("t", { retry: false })).rejects.toMatchObject({ status: 503 });
  expect(server.received).toHaveLength(2);
  await expect(client.threads.get("t", { retry: 4 })).rejects.toMatchObject({ status: 503 });
  expect(server.received).toHaveLength(7);
});

test("other errors are not retried: 400, 401 without refresh, 403, 404, 409, 500", async () => {
  const client = createClient({ baseURL: server.url, retry: fast });
  for (const status of [400, 401, 403, 404, 409, 500]) {
    server.received.length = 0;
    arrived = [];
    script([status]);
    await expect(client.request({ url: "/x" })).rejects.toMatchObject({ status });
    expect(server.received).toHaveLength(1);
  }
});

test("a dropped connection is retried for GET, in order, then NetworkError", async () => {
  script("drop", "drop", [200]);
  const client = createClient({ baseURL: server.url, retry: fast });
  await expect(client.request({ url: "/x" })).resolves.toEqual({ ok: 3 });
  script("drop");
  server.received.length = 0;
  arrived = [];
  await expect(client.request({ url: "/y" })).rejects.toBeInstanceOf(NetworkError);
  expect(server.received).toHaveLength(3);
});

test("retry: 0 on the client turns retries off", async () => {
  script([503]);
  const client = createClient({ baseURL: server.url, retry: 0 });
  await expect(client.request({ url: "/x" })).rejects.toMatchObject({ status: 503 });
  expect(server.received).toHaveLength(1);
});

test("aborting during the wait rejects with AbortError and sends nothing more", async () => {
  script([503, { "retry-after": "30" }]);
  const ac = new AbortController();
  const client = createClient({ baseURL: server.url });
  const pending = client.request({ url: "/x", signal: ac.signal });
  await waitFor(() => answered.length === 1);
  ac.abort();
  await expect(pending).rejects.toBeInstanceOf(AbortError);
  expect(server.received).toHaveLength(1);
});

test("bad retry options are refused at createClient", () => {
  expect(() => createClient({ baseURL: server.url, retry: -1 })).toThrow(/retry/);
  expect(() => createClient({ baseURL: server.url, retry: { limt: 2 } as never })).toThrow(
    /unknown option\(s\) limt; accepted: limit, baseDelay, maxDelay/,
  );
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
