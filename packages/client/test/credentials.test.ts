import { apiKey, bearer, createClient, type CredentialRequest } from "@gatehouse/client";
import { json, startServer, type TestServer } from "./helpers/server";

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => json(res, 200, { ok: true }));
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
});

const last = () => server.received[server.received.length - 1];

describe("bearer()", () => {
  it("sends a string token as Authorization: Bearer", async () => {
    const client = createClient({ baseURL: server.url, credentials: bearer("t0ken") });
    await client.request({ url: "/x" });
    expect(last().headers.authorization).toBe("Bearer t0ken");
  });

  it("reads a sync function on every request", async () => {
    let token = "one";
    const client = createClient({ baseURL: server.url, credentials: bearer(() => token) });
    await client.request({ url: "/x" });
    token = "two";
    await client.request({ url: "/x" });
    expect(server.received.map((r) => r.headers.authorization)).toEqual(["Bearer one", "Bearer two"]);
  });

  it("awaits an async function", async () => {
    const client = createClient({ baseURL: server.url, credentials: bearer(() => Promise.resolve("from-async")) });
    await client.threads.search();
    expect(last().headers.authorization).toBe("Bearer from-async");
  });

  it.each([null, undefined, ""])("sends no header when the token is %p", async (token) => {
    const client = createClient({ baseURL: server.url, credentials: bearer(() => token) });
    await client.request({ url: "/x" });
    expect(last().headers).not.toHaveProperty("authorization");
  });

  it("rejects a token that is neither a string nor a function, eagerly", () => {
    expect(() => bearer(42 as unknown as string)).toThrow(TypeError);
  });
});

describe("apiKey()", () => {
  it("sends the key in the named header", async () => {
    const client = createClient({ baseURL: server.url, credentials: apiKey("X-Api-Key", "k-123") });
    await client.request({ url: "/x" });
    expect(last().headers["x-api-key"]).toBe("k-123");
    expect(last().headers).not.toHaveProperty("authorization");
  });

  it("reads a sync or async function", async () => {
    const sync = createClient({ baseURL: server.url, credentials: apiKey("x-api-key", () => "sync-key") });
    const asyncClient = createClient({
      baseURL: server.url,
      credentials: apiKey("x-api-key", () => Promise.resolve("async-key")),
    });
    await sync.request({ url: "/x" });
    await asyncClient.request({ url: "/x" });
    expect(server.received.map((r) => r.headers["x-api-key"])).toEqual(["sync-key", "async-key"]);
  });

  it("sends no header for an empty key", async () => {
    const client = createClient({ baseURL: server.url, credentials: apiKey("x-api-key", () => undefined) });
    await client.request({ url: "/x" });
    expect(last().headers).not.toHaveProperty("x-api-key");
  });

  it("rejects an invalid header name eagerly", () => {
    expect(() => apiKey("bad header", "k")).toThrow(/not a valid header name/);
    expect(() => apiKey("", "k")).toThrow(TypeError);
  });
});

describe("a custom credentials function", () => {
  it("receives the method and absolute URL and its headers are sent", async () => {
    const seen: CredentialRequest[] = [];
    const client = createClient({
      baseURL: server.url,
      credentials: (request) => {
        seen.push(request);
        return Promise.resolve({ "x-signature": `${request.method} ${new URL(request.url).pathname}` });
      },
    });
    await client.threads.get("t1");
    expect(seen).toEqual([{ method: "GET", url: `${server.url}/threads/t1` }]);
    expect(last().headers["x-signature"]).toBe("GET /threads/t1");
  });

  it("may return nothing", async () => {
    const client = createClient({ baseURL: server.url, credentials: () => undefined });
    await client.request({ url: "/x" });
    expect(last().headers).not.toHaveProperty("authorization");
  });

  it("propagates its own error and sends nothing", async () => {
    const boom = new Error("keychain locked");
    const client = createClient({
      baseURL: server.url,
      credentials: () => {
        throw boom;
      },
    });
    await expect(client.request({ url: "/x" })).rejects.toBe(boom);
    expect(server.received).toHaveLength(0);
  });
});

describe("header precedence", () => {
  it("client headers < credentials < per-call headers, case-insensitively", async () => {
    const client = createClient({
      baseURL: server.url,
      headers: { "x-app": "demo", Authorization: "Bearer default" },
      credentials: bearer("cred"),
    });
    await client.request({ url: "/x" });
    expect(last().headers.authorization).toBe("Bearer cred");
    expect(last().headers["x-app"]).toBe("demo");
    await client.threads.get("t1", { headers: { authorization: "Bearer per-call" } });
    expect(last().headers.authorization).toBe("Bearer per-call");
  });
});

describe("createClient", () => {
  it("does not modify the options object (frozen options work)", async () => {
    const headers = Object.freeze({ "x-app": "demo" });
    const options = Object.freeze({ baseURL: server.url, headers, credentials: bearer("a") });
    const client = createClient(options);
    await client.request({ url: "/x" });
    expect(options).toEqual({ baseURL: server.url, headers: { "x-app": "demo" }, credentials: options.credentials });
    expect(Object.isFrozen(client)).toBe(true);
    expect(client.baseURL).toBe(`${server.url}/`);
  });
});
