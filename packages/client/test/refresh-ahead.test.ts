/**
 * Refresh ahead of expiry: a bearer JWT whose `exp` (or a provider-reported
 * expiry) is within the margin is refreshed before the request goes out,
 * single-flight; and across tabs, a refresh under a Web Lock is skipped when
 * another holder already replaced the credential.
 */
import { bearer, createClient } from "@gatehouse/client";
import { json, startServer, type TestServer } from "./helpers/server";

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => json(res, 200, { auth: req.headers.authorization ?? null }));
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
});

/** An unsigned JWT-shaped token (the client reads `exp`, it never verifies). */
function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.c2ln`;
}
const now = () => Math.floor(Date.now() / 1000);

test("50 concurrent requests with a token inside the margin: exactly one refresh, before any request is sent", async () => {
  const stale = jwt({ sub: "alice", iat: now() - 3_570, exp: now() + 30 }); // 30 s left, 60 s margin
  const fresh = jwt({ sub: "alice", iat: now(), exp: now() + 3_600 });
  const session = { token: stale, refreshes: [] as Array<{ reason: string; sentBefore: number }> };
  const client = createClient({
    baseURL: server.url,
    credentials: bearer(() => session.token),
    refresh: async ({ reason }) => {
      session.refreshes.push({ reason, sentBefore: server.received.length });
      await new Promise((resolve) => setTimeout(resolve, 20));
      session.token = fresh;
    },
  });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => client.request<{ auth: string }>({ url: `/r/${i}` })),
  );
  expect(session.refreshes).toEqual([{ reason: "expiring", sentBefore: 0 }]);
  expect(results.every((r) => r.auth === `Bearer ${fresh}`)).toBe(true);
  expect(server.received).toHaveLength(50);
  expect(server.received.filter((r) => r.headers.authorization !== `Bearer ${fresh}`)).toEqual([]);
});

test("a token outside the margin is not refreshed; refreshMargin moves the line; 0 turns it off", async () => {
  const token = jwt({ sub: "alice", exp: now() + 300 });
  let refreshes = 0;
  const make = (refreshMargin?: number) =>
    createClient({
      baseURL: server.url,
      credentials: bearer(token),
      refresh: () => void refreshes++,
      ...(refreshMargin === undefined ? {} : { refreshMargin }),
    });
  await make().request({ url: "/a" });
  expect(refreshes).toBe(0);
  await make(0).request({ url: "/b" });
  expect(refreshes).toBe(0);
  await expect(make(600_000).request({ url: "/c" })).resolves.toEqual({ auth: `Bearer ${token}` });
  expect(refreshes).toBe(1); // refreshed, but the token did not change: sent as it is, once
});

test("a token that lives shorter than the margin is refreshed at half its life, not on every request", async () => {
  const token = jwt({ sub: "alice", iat: now(), exp: now() + 40 }); // 40 s tokens, 60 s margin
  let refreshes = 0;
  const client = createClient({ baseURL: server.url, credentials: bearer(token), refresh: () => void refreshes++ });
  for (let i = 0; i < 5; i++) await client.request({ url: `/x${i}` });
  expect(refreshes).toBe(0);
});

test("a provider-reported expiry (expiresAt) works for opaque tokens", async () => {
  const session = { token: "opaque-1", expiresAt: Date.now() + 10_000, refreshes: 0 };
  const client = createClient({
    baseURL: server.url,
    credentials: bearer(() => session.token),
    expiresAt: () => session.expiresAt,
    refresh: () => {
      session.refreshes++;
      session.token = "opaque-2";
      session.expiresAt = Date.now() + 3_600_000;
    },
  });
  await expect(client.request({ url: "/x" })).resolves.toEqual({ auth: "Bearer opaque-2" });
  await client.request({ url: "/y" });
  expect(session.refreshes).toBe(1);
});

test("a failed refresh ahead does not fail the request: it goes out with the current token", async () => {
  const token = jwt({ sub: "alice", exp: now() + 10 });
  const client = createClient({
    baseURL: server.url,
    credentials: bearer(token),
    refresh: () => {
      throw new Error("offline");
    },
  });
  await expect(client.request({ url: "/x" })).resolves.toEqual({ auth: `Bearer ${token}` });
});

test("no refresh ahead for another origin, nor for requests marked skipRefresh", async () => {
  const token = jwt({ sub: "alice", exp: now() + 10 });
  let refreshes = 0;
  const client = createClient({ baseURL: server.url, credentials: bearer(token), refresh: () => void refreshes++ });
  await client.request({ url: "/x", skipRefresh: true });
  await client.request({ url: server.url.replace("127.0.0.1", "localhost") + "/y" });
  expect(refreshes).toBe(0);
});

describe("across tabs (a Web Locks implementation installed on navigator)", () => {
  /** A minimal exclusive LockManager, as browsers provide. */
  function lockManager() {
    const tails = new Map<string, Promise<unknown>>();
    const held = new Set<string>();
    const names: string[] = [];
    return {
      names,
      request<T>(name: string, ...args: unknown[]): Promise<T> {
        const callback = args.at(-1) as (lock: unknown) => Promise<T>;
        const ifAvailable = args.length === 2 && (args[0] as { ifAvailable?: boolean }).ifAvailable;
        names.push(name);
        if (ifAvailable && held.has(name)) return callback(null);
        const run = (tails.get(name) ?? Promise.resolve()).then(async () => {
          held.add(name);
          try {
            return await callback({ name });
          } finally {
            held.delete(name);
          }
        });
        tails.set(
          name,
          run.catch(() => undefined),
        );
        return run;
      },
    };
  }
  const saved = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  afterEach(() => {
    if (saved) Object.defineProperty(globalThis, "navigator", saved);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });

  test("two clients sharing storage (two tabs): one refresh; the second sees the new token and skips its own", async () => {
    const locks = lockManager();
    Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true, writable: true });
    const storage = { token: "stale", calls: 0 }; // localStorage, shared by the tabs
    server.handle((req, res) =>
      req.headers.authorization === "Bearer fresh"
        ? json(res, 200, { ok: true })
        : json(res, 401, { error: "invalid_token" }),
    );
    const tab = () =>
      createClient({
        baseURL: server.url,
        credentials: bearer(() => storage.token),
        refresh: async () => {
          storage.calls++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          storage.token = "fresh";
        },
      });
    const [a, b] = [tab(), tab()];
    await Promise.all([a.request({ url: "/a" }), b.request({ url: "/b" })]);
    expect(storage.calls).toBe(1);
    expect(new Set(locks.names)).toEqual(new Set([`@gatehouse/client refresh ${server.url}`]));
    server.handle((req, res) => json(res, 200, { auth: req.headers.authorization ?? null }));
  });

  test("refreshLock: false does without the lock", async () => {
    const locks = lockManager();
    Object.defineProperty(globalThis, "navigator", { value: { locks }, configurable: true, writable: true });
    let refreshes = 0;
    server.handle((_req, res) => json(res, 401, { error: "invalid_token" }));
    const client = createClient({
      baseURL: server.url,
      credentials: bearer("x"),
      refresh: () => void refreshes++,
      refreshLock: false,
    });
    await expect(client.request({ url: "/x" })).rejects.toMatchObject({ status: 401 });
    expect(refreshes).toBe(1);
    expect(locks.names).toEqual([]);
    server.handle((req, res) => json(res, 200, { auth: req.headers.authorization ?? null }));
  });
});
