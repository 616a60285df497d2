import {
  AbortError,
  bearer,
  createClient,
  ForbiddenError,
  UnauthorizedError,
  type RefreshContext,
} from "@gatehouse/client";
import { createRefreshGate } from "../src/refresh";
import { deferred, json, startServer, type TestServer } from "./helpers/server";

/** The server accepts exactly `Bearer <valid>`; /forbidden is 403 for everyone. */
let server: TestServer;
let valid = "";
const CHALLENGE = 'Bearer realm="gatehouse", error="invalid_token", error_description="expired"';

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
  valid = "fresh";
  server.handle((req, res) => {
    if (req.url === "/forbidden") return json(res, 403, { detail: "not yours" });
    if (req.headers.authorization !== `Bearer ${valid}`) {
      return json(res, 401, { detail: "Invalid token" }, { "www-authenticate": CHALLENGE });
    }
    json(res, 200, { ok: true, url: req.url });
  });
});

const hits = (token: string) => server.received.filter((r) => r.headers.authorization === `Bearer ${token}`).length;

describe("single-flight refresh", () => {
  it("refreshes exactly once for 50 concurrent 401s and retries each request once", async () => {
    const session = { token: "stale" };
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => session.token),
      refresh: () => {
        refreshes++;
        session.token = "fresh";
        return Promise.resolve();
      },
    });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.request({ url: `/r/${i}` })));
    expect(results).toHaveLength(50);
    expect(results.every((r) => (r as { ok: boolean }).ok)).toBe(true);
    expect(refreshes).toBe(1);
    expect(hits("stale")).toBe(50);
    expect(hits("fresh")).toBe(50);
    expect(server.received).toHaveLength(100);
  });

  it("refreshes again for a later, separate 401", async () => {
    const session = { token: "stale" };
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => session.token),
      refresh: () => {
        refreshes++;
        session.token = valid;
      },
    });
    await client.request({ url: "/a" });
    valid = "rotated";
    await client.request({ url: "/b" });
    expect(refreshes).toBe(2);
    expect(server.received.map((r) => [r.url, r.headers.authorization])).toEqual([
      ["/a", "Bearer stale"],
      ["/a", "Bearer fresh"],
      ["/b", "Bearer fresh"],
      ["/b", "Bearer rotated"],
    ]);
  });

  it("retries once, then gives up with the second 401", async () => {
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer("revoked"),
      refresh: () => {
        refreshes++;
      },
    });
    const err = await client.request({ url: "/x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).cause).toBeUndefined();
    expect(refreshes).toBe(1);
    expect(server.received).toHaveLength(2);
  });

  it("never refreshes or retries on 403", async () => {
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer("fresh"),
      refresh: () => {
        refreshes++;
      },
    });
    await expect(client.request({ url: "/forbidden" })).rejects.toBeInstanceOf(ForbiddenError);
    expect(refreshes).toBe(0);
    expect(server.received).toHaveLength(1);
  });

  it("rejects every waiting request with UnauthorizedError caused by the refresh failure", async () => {
    const failure = new Error("refresh token expired");
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer("stale"),
      refresh: () => {
        refreshes++;
        return Promise.reject(failure);
      },
    });
    const errors = await Promise.all(
      Array.from({ length: 5 }, () => client.request({ url: "/x" }).catch((e: unknown) => e)),
    );
    for (const err of errors) {
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect((err as UnauthorizedError).cause).toBe(failure);
      expect((err as UnauthorizedError).status).toBe(401);
      expect((err as UnauthorizedError).challenge?.params.error).toBe("invalid_token");
      expect((err as UnauthorizedError).message).toMatch(/refresh failed: refresh token expired/);
    }
    expect(refreshes).toBe(1);
    expect(server.received).toHaveLength(5);
  });

  it("gives refresh the 401 and a request function that never triggers refresh (no loop)", async () => {
    const contexts: RefreshContext[] = [];
    const client = createClient({
      baseURL: server.url,
      credentials: bearer("stale"),
      refresh: async (context) => {
        contexts.push(context);
        await context.request({ method: "POST", url: "/auth/refresh" });
      },
    });
    const err = await client.request({ url: "/x" }).catch((e: unknown) => e);
    expect(contexts).toHaveLength(1);
    expect(contexts[0].error).toBeInstanceOf(UnauthorizedError);
    expect(contexts[0].error?.url).toBe(`${server.url}/x`);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).cause).toBeInstanceOf(UnauthorizedError);
    expect(server.received.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /x", "POST /auth/refresh"]);
  });

  it("lets refresh use its own successful request through the same client", async () => {
    const session = { token: "stale" };
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => session.token),
      refresh: async ({ request }) => {
        session.token = "fresh";
        await request({ method: "POST", url: "/auth/refresh" });
      },
    });
    await expect(client.request({ url: "/x" })).resolves.toEqual({ ok: true, url: "/x" });
  });

  it("does not refresh for a request marked skipRefresh", async () => {
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer("stale"),
      refresh: () => {
        refreshes++;
      },
    });
    await expect(client.request({ url: "/login", skipRefresh: true })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(refreshes).toBe(0);
    expect(server.received).toHaveLength(1);
  });

  it("rejects a request aborted while waiting for refresh, without cancelling the others", async () => {
    const session = { token: "stale" };
    const started = deferred();
    const finish = deferred();
    let refreshes = 0;
    const client = createClient({
      baseURL: server.url,
      credentials: bearer(() => session.token),
      refresh: async () => {
        refreshes++;
        started.resolve();
        await finish.promise;
        session.token = "fresh";
      },
    });
    const controller = new AbortController();
    const aborted = client.request({ url: "/aborted", signal: controller.signal }).catch((e: unknown) => e);
    await started.promise; // "/aborted" got its 401 and is now waiting for the refresh
    const other = client.request({ url: "/other" });
    controller.abort(new Error("user navigated away"));
    const err = await aborted;
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).cause).toEqual(new Error("user navigated away"));
    finish.resolve();
    await expect(other).resolves.toEqual({ ok: true, url: "/other" });
    expect(refreshes).toBe(1);
    expect(server.received.filter((r) => r.url === "/aborted")).toHaveLength(1);
  });
});

describe("createRefreshGate", () => {
  it("reports a failed refresh to requests sent before it settled, without running it again", async () => {
    let runs = 0;
    const gate = createRefreshGate(() => {
      runs++;
      return Promise.reject(new Error("nope"));
    });
    const seen = gate.generation;
    await expect(gate.after(seen, undefined)).rejects.toThrow("nope");
    await expect(gate.after(seen, undefined)).rejects.toThrow("nope"); // a straggler of the same burst
    expect(runs).toBe(1);
    await expect(gate.after(gate.generation, undefined)).rejects.toThrow("nope"); // a new burst runs it again
    expect(runs).toBe(2);
  });

  it("joins the refresh in flight whatever generation the caller saw", async () => {
    const release = deferred();
    let runs = 0;
    const gate = createRefreshGate(async (arg: string) => {
      runs++;
      await release.promise;
      return arg;
    });
    const first = gate.after(0, "a");
    const second = gate.after(0, "b");
    release.resolve();
    await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(gate.generation).toBe(1);
  });
});
