/**
 * The client under hostile or failing conditions: a refresh that fails, a 403
 * after a good refresh, a 401 that survives the refresh, an abort while the
 * refresh runs, a server that closes the connection (before, during and after
 * a refresh), and redirects to another origin. Each ends in a typed error
 * after a bounded number of requests (no loop), with no unhandled rejection,
 * and the credential never leaves the client's origin or rides on an error.
 */
import type http from "node:http";
import {
  AbortError,
  bearer,
  createClient,
  ForbiddenError,
  GatehouseError,
  NetworkError,
  TimeoutError,
  UnauthorizedError,
} from "@gatehouse/client";
import { deferred, json, startServer, type TestServer } from "./helpers/server";

const TOKEN_STALE = "stale-credential-5f1e";
const TOKEN_FRESH = "fresh-credential-9a2c";
const CHALLENGE = 'Bearer realm="api", error="invalid_token", error_description="jwt expired"';

let server: TestServer;
let elsewhere: TestServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  server = await startServer();
  elsewhere = await startServer((_req, res) => json(res, 200, { elsewhere: true }));
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await server.close();
  await elsewhere.close();
});
beforeEach(() => {
  server.received.length = 0;
  elsewhere.received.length = 0;
});
afterEach(async () => {
  // Let any stray promise settle, then require that nothing was left unhandled.
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(unhandled).toEqual([]);
});

/** 401 unless the fresh token is sent; `onFresh` decides what the fresh token gets. */
function guarded(onFresh: (req: { url: string }, res: http.ServerResponse, raw: http.IncomingMessage) => void) {
  server.handle((req, res, raw) => {
    if (req.headers.authorization !== `Bearer ${TOKEN_FRESH}`)
      return json(res, 401, { error: "invalid_token" }, { "www-authenticate": CHALLENGE });
    onFresh(req, res, raw);
  });
}

function session(initial = TOKEN_STALE) {
  return { token: initial, refreshes: 0 };
}

/** Every own property (enumerable or not) of `value` and what it references, `cause` included, to a depth. */
function reachableStrings(value: unknown, depth = 6, seen = new Set<unknown>()): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object" || seen.has(value) || depth === 0) return [];
  seen.add(value);
  const out: string[] = [];
  for (const key of Reflect.ownKeys(value)) {
    let inner: unknown;
    try {
      inner = (value as Record<PropertyKey, unknown>)[key];
    } catch {
      continue;
    }
    out.push(...reachableStrings(inner, depth - 1, seen));
  }
  return out;
}

/** A promise rejected with any value, Error or not (what a careless refresh callback may do). */
const rejectWith = (reason: unknown): Promise<never> => Promise.reject(reason);

describe("refresh that fails", () => {
  test.each([
    ["an Error", () => Promise.reject(new Error("refresh endpoint said no"))],
    ["a string", () => rejectWith("nope")],
    ["undefined", () => rejectWith(undefined)],
    [
      "a synchronous throw",
      () => {
        throw new TypeError("refresh crashed");
      },
    ],
  ])(
    "rejecting with %s: a burst of 10 gets UnauthorizedError, one refresh, one request each, no retry",
    async (_name, failure) => {
      guarded((_req, res) => json(res, 200, { ok: true }));
      const s = session();
      const client = createClient({
        baseURL: server.url,
        credentials: bearer(() => s.token),
        refresh: () => {
          s.refreshes++;
          return failure();
        },
      });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => client.request({ url: `/r/${i}` })),
      );
      for (const result of results) {
        expect(result.status).toBe("rejected");
        const err = (result as PromiseRejectedResult).reason;
        expect(err).toBeInstanceOf(UnauthorizedError);
        expect(err.status).toBe(401);
        expect(err.challenge?.params.error).toBe("invalid_token");
      }
      expect(s.refreshes).toBe(1);
      expect(server.received).toHaveLength(10);
    },
  );

  test("a refresh that 'succeeds' but leaves the credential invalid: one retry, then UnauthorizedError; 20 calls cost at most 2 requests each", async () => {
    guarded((_req, res) => json(res, 200, { ok: true }));
    const s = session();
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => s.token),
      refresh: () => void s.refreshes++,
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => client.threads.search({})));
    expect(results.every((r) => r.status === "rejected" && r.reason instanceof UnauthorizedError)).toBe(true);
    expect(s.refreshes).toBeLessThanOrEqual(2);
    expect(server.received.length).toBeLessThanOrEqual(40);
  });

  test("a refresh whose own request is answered 401 does not refresh again (no recursion)", async () => {
    guarded((_req, res) => json(res, 200, { ok: true }));
    const s = session();
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => s.token),
      refresh: async ({ request }) => {
        s.refreshes++;
        await request({ method: "POST", url: "/auth/refresh" }); // 401 with the stale token
      },
    });
    const err = await client.request({ url: "/me" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).cause).toBeInstanceOf(UnauthorizedError);
    expect(s.refreshes).toBe(1);
    expect(server.received.map((r) => r.url)).toEqual(["/me", "/auth/refresh"]);
  });
});

describe("403 after a successful refresh", () => {
  test("ForbiddenError after exactly one refresh and two requests; a 403 never triggers another refresh", async () => {
    guarded((_req, res) => json(res, 403, { error: "forbidden", message: "needs threads:write" }));
    const s = session();
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => s.token),
      refresh: () => {
        s.refreshes++;
        s.token = TOKEN_FRESH;
      },
    });
    const err = await client.threads.create({ metadata: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).body).toEqual({ error: "forbidden", message: "needs threads:write" });
    expect(s.refreshes).toBe(1);
    expect(server.received.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${TOKEN_STALE}`,
      `Bearer ${TOKEN_FRESH}`,
    ]);
    // And with the fresh token, a 403 is final at once.
    await expect(client.threads.create({ metadata: {} })).rejects.toBeInstanceOf(ForbiddenError);
    expect(s.refreshes).toBe(1);
    expect(server.received).toHaveLength(3);
  });
});

describe("abort during refresh", () => {
  test("the aborted call rejects with AbortError at once and sends no retry; the others finish when the refresh does", async () => {
    guarded((req, res) => json(res, 200, { url: req.url }));
    const s = session();
    const gate = deferred();
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => s.token),
      refresh: async () => {
        s.refreshes++;
        await gate.promise;
        s.token = TOKEN_FRESH;
      },
    });
    const controller = new AbortController();
    const aborted = client.request({ url: "/aborted", signal: controller.signal });
    const others = [client.request({ url: "/a" }), client.request({ url: "/b" })];
    while (s.refreshes === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error("user navigated away"));
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    gate.resolve();
    expect(await Promise.all(others)).toEqual([{ url: "/a" }, { url: "/b" }]);
    expect(s.refreshes).toBe(1);
    expect(server.received.filter((r) => r.url === "/aborted")).toHaveLength(1);
  });

  test("aborting while a refresh that later fails is pending: AbortError, and the refresh's rejection is not left unhandled", async () => {
    guarded((_req, res) => json(res, 200, {}));
    const gate = deferred();
    const started = deferred();
    const refresh = () => {
      started.resolve();
      return gate.promise;
    };
    const client = createClient({ baseURL: server.url, credentials: bearer(() => TOKEN_STALE), refresh });
    const controller = new AbortController();
    const call = client.request({ url: "/x", signal: controller.signal });
    // Abort once the refresh is pending (a fixed 20 ms sleep could abort before the 401 came back on a
    // busy machine: then no refresh ever ran and the rejected gate was left unhandled).
    await started.promise;
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    gate.reject(new Error("refresh failed after everyone left"));
  });

  test("a signal aborted before the call: AbortError, nothing sent, no refresh", async () => {
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => TOKEN_STALE),
      refresh: () => void refreshes++,
    });
    await expect(client.request({ url: "/x", signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(server.received).toHaveLength(0);
    expect(refreshes).toBe(0);
  });
});

describe("the server closes the connection", () => {
  const destroy = (_req: unknown, _res: http.ServerResponse, raw: http.IncomingMessage) => void raw.socket.destroy();

  test("before answering: NetworkError after the bounded retries of a GET, no refresh", async () => {
    server.handle(destroy);
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => TOKEN_FRESH),
      refresh: () => void refreshes++,
      retry: { limit: 2, baseDelay: 1 },
    });
    const err = await client.threads.get("t1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toBeInstanceOf(GatehouseError);
    expect(refreshes).toBe(0);
    expect(server.received).toHaveLength(3); // the request and its two retries
  });

  test("in the middle of the body: a typed error, not a half-parsed result", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"thread_id":"t1","metadata":{"owner":');
      setImmediate(() => res.socket?.destroy());
    });
    const client = createClient({ baseURL: server.url, credentials: bearer(() => TOKEN_FRESH) });
    const err = await client.threads.get("t1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).not.toBeInstanceOf(UnauthorizedError);
  });

  test("during the refresh's own request: UnauthorizedError caused by a NetworkError, one refresh", async () => {
    server.handle((req, res, raw) => {
      if (req.url === "/auth/refresh") return void raw.socket.destroy();
      json(res, 401, {}, { "www-authenticate": CHALLENGE });
    });
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => TOKEN_STALE),
      refresh: async ({ request }) => {
        refreshes++;
        await request({ method: "POST", url: "/auth/refresh" });
      },
    });
    const err = await client.request({ url: "/me" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).cause).toBeInstanceOf(NetworkError);
    expect(refreshes).toBe(1);
  });

  test("on the retry after a good refresh: NetworkError, and no second refresh", async () => {
    guarded(destroy);
    const s = session();
    const client = createClient({
      baseURL: server.url,
      retry: false,
      credentials: bearer(() => s.token),
      refresh: () => {
        s.refreshes++;
        s.token = TOKEN_FRESH;
      },
    });
    await expect(client.request({ url: "/me" })).rejects.toBeInstanceOf(NetworkError);
    expect(s.refreshes).toBe(1);
    expect(server.received).toHaveLength(2);
  });

  test("a server that never answers: TimeoutError after the call's timeout", async () => {
    server.handle(() => undefined);
    const client = createClient({ baseURL: server.url, credentials: bearer(() => TOKEN_FRESH) });
    await expect(client.request({ url: "/slow", timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe("the credential stays with the client's origin", () => {
  test.each([
    ["another port on the same host", () => `${elsewhere.url}/landing`],
    ["another host name for the same machine", () => `http://localhost:${elsewhere.port}/landing`],
  ])("a redirect to %s is followed without the Authorization header", async (_name, target) => {
    server.handle((_req, res) => {
      res.writeHead(307, { location: target() });
      res.end();
    });
    const client = createClient({ baseURL: server.url, credentials: bearer(() => TOKEN_FRESH) });
    const result = await client.request({ url: "/go" }).catch((e: unknown) => e);
    expect(server.received[0].headers.authorization).toBe(`Bearer ${TOKEN_FRESH}`);
    for (const received of elsewhere.received) expect(received.headers.authorization).toBeUndefined();
    expect(result).toEqual({ elsewhere: true });
  });

  test("an absolute URL to another origin gets no credential and triggers no refresh on its 401", async () => {
    elsewhere.handle((_req, res) => json(res, 401, {}, { "www-authenticate": CHALLENGE }));
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => TOKEN_FRESH),
      refresh: () => void refreshes++,
    });
    await expect(client.request({ url: `${elsewhere.url}/steal` })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(elsewhere.received[0].headers.authorization).toBeUndefined();
    expect(refreshes).toBe(0);
    elsewhere.handle((_req, res) => json(res, 200, { elsewhere: true }));
  });

  test.each([
    [
      "NetworkError (connection closed)",
      (_req: unknown, _res: http.ServerResponse, raw: http.IncomingMessage) => void raw.socket.destroy(),
    ],
    [
      "UnauthorizedError (401)",
      (_req: unknown, res: http.ServerResponse) => json(res, 401, {}, { "www-authenticate": CHALLENGE }),
    ],
    ["HttpError (500)", (_req: unknown, res: http.ServerResponse) => json(res, 500, { error: "internal_error" })],
  ])("a %s does not carry the credential anywhere, its cause chain included", async (_name, handler) => {
    server.handle(handler);
    const client = createClient({ baseURL: server.url, credentials: bearer(() => TOKEN_FRESH) });
    const err = await client.request({ url: "/x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatehouseError);
    expect(reachableStrings(err).filter((s) => s.includes(TOKEN_FRESH))).toEqual([]);
    expect(JSON.stringify(err)).not.toContain(TOKEN_FRESH);
  });

  test("a TimeoutError does not carry the credential either", async () => {
    server.handle(() => undefined);
    const client = createClient({ baseURL: server.url, credentials: bearer(() => TOKEN_FRESH) });
    const err = await client.request({ url: "/slow", timeout: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(reachableStrings(err).filter((s) => s.includes(TOKEN_FRESH))).toEqual([]);
  });
});
